/**
 * The helpdesk's person card (`/console/assistance/personnes/:id`): identity, establishment,
 * accounts with their states, masked recovery address, last sign-ins per door, open sessions and
 * throttles; the caller's NUMEN and birth date checked (« correspond » or not); the actions, each
 * with its reason (one form). Never a NUMEN, a birth date, nor anything of the mail.
 */
import type { CardAccount, PersonCard, TemporaryPassword, ThrottleInForce } from "../../console/helpdesk.types.js";
import { helpdeskFr } from "../i18n/console-helpdesk.fr.js";
import { frenchDateTime } from "../i18n/fr.js";
import {
  ErrorList,
  ErrorSummary,
  Field,
  type FieldErrors,
  fieldIds,
  Notice,
  PostForm,
  TextArea,
} from "./components.js";
import { ConsoleLayout, type ConsoleUser, ReauthField } from "./console.view.js";
import type { PageContext } from "./layout.js";

const t = helpdeskFr;

/** The actions of the card's form, in the order shown; `sensitive`: the second factor again. */
export const HELPDESK_ACTIONS = [
  { value: "lever", label: t.liftThrottle, sensitive: true },
  { value: "lever-numen", label: t.liftNumenThrottle, sensitive: true },
  { value: "lien", label: t.sendLink, sensitive: false },
  { value: "temporaire", label: t.temporaryPassword, sensitive: true },
  { value: "sessions", label: t.endSessions, sensitive: false },
  { value: "desactiver", label: t.disable, sensitive: false },
  { value: "reactiver", label: t.enable, sensitive: false },
  { value: "compromis", label: t.compromised, sensitive: false },
] as const;

export type HelpdeskAction = (typeof HELPDESK_ACTIONS)[number]["value"];

export function isHelpdeskAction(value: string): value is HelpdeskAction {
  return HELPDESK_ACTIONS.some((a) => a.value === value);
}

export function isSensitive(action: HelpdeskAction): boolean {
  return HELPDESK_ACTIONS.some((a) => a.value === action && a.sensitive);
}

const when = (iso: string) => frenchDateTime(new Date(iso));

export interface VerifyModel {
  readonly result?: { readonly what: "numen" | "birthDate"; readonly matched: boolean };
  readonly errors?: FieldErrors;
  readonly formError?: string;
  readonly birthDate?: string;
}

export interface ActionModel {
  readonly action: string;
  readonly account: string;
  readonly reason: string;
  readonly errors?: FieldErrors;
  readonly formError?: string;
}

function ThrottleText({ throttle }: { throttle: ThrottleInForce | null }) {
  if (!throttle) return <>{t.throttleNone}</>;
  return (
    <>
      {throttle.reason === "daily_limit"
        ? t.throttleDaily(when(throttle.until))
        : t.throttleUntil(when(throttle.until))}
    </>
  );
}

function AccountSection({ account }: { account: CardAccount }) {
  const headingId = `compte-${account.id}`;
  return (
    <section aria-labelledby={headingId} class="helpdesk-account">
      <h3 id={headingId}>{t.accountHeading(account.username, t.accountKinds[account.kind])}</h3>
      <dl class="helpdesk-facts">
        <dt>{t.address}</dt>
        <dd>{account.address}</dd>
        <dt>{t.state}</dt>
        <dd>
          {t.states[account.state]}
          {account.temporaryUntil ? <p>{t.temporaryUntil(when(account.temporaryUntil))}</p> : null}
          {account.compromisedAt ? <p>{t.compromisedSince(when(account.compromisedAt))}</p> : null}
        </dd>
        <dt>{t.recovery}</dt>
        <dd>
          {account.recovery
            ? account.recovery.confirmed
              ? t.recoveryConfirmed(account.recovery.masked)
              : t.recoveryUnconfirmed(account.recovery.masked)
            : t.recoveryNone}
        </dd>
        <dt>{t.throttle}</dt>
        <dd data-throttle={account.throttle ? "" : undefined}>
          <ThrottleText throttle={account.throttle} />
        </dd>
      </dl>
      {account.signIns.length === 0 ? (
        <p>{t.signInsNone}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption>{t.signInsCaption(account.username)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.colAt}</th>
                <th scope="col">{t.colDoor}</th>
                <th scope="col">{t.colOutcome}</th>
                <th scope="col">{t.colIp}</th>
              </tr>
            </thead>
            <tbody>
              {account.signIns.map((s, i) => (
                <tr key={`${s.at}-${i}`}>
                  <td>
                    <time dateTime={s.at}>{when(s.at)}</time>
                  </td>
                  <td>{t.doors[s.door]}</td>
                  <td>{t.outcomes[s.outcome]}</td>
                  <td>{s.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {account.sessions.length === 0 ? (
        <p>{t.sessionsNone}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption>{t.sessionsCaption(account.username)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.colKind}</th>
                <th scope="col">{t.colStarted}</th>
                <th scope="col">{t.colLastSeen}</th>
                <th scope="col">{t.colIp}</th>
              </tr>
            </thead>
            <tbody>
              {account.sessions.map((s, i) => (
                <tr key={`${s.createdAt}-${i}`}>
                  <td>{t.sessionKinds[s.kind]}</td>
                  <td>
                    <time dateTime={s.createdAt}>{when(s.createdAt)}</time>
                  </td>
                  <td>
                    <time dateTime={s.lastSeenAt}>{when(s.lastSeenAt)}</time>
                  </td>
                  <td>{s.ip || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A group of radio buttons with its legend and errors (the first button carries `champ-<name>`), styled as the settings' groups. */
function RadioGroup({
  name,
  legend,
  options,
  value,
  errors,
}: {
  name: string;
  legend: string;
  options: readonly { value: string; label: string }[];
  value: string;
  errors?: readonly string[] | undefined;
}) {
  const ids = fieldIds(name, undefined, errors);
  return (
    <fieldset class={`choice-group${ids.errorId ? " choice-group--error" : ""}`} aria-describedby={ids.describedBy}>
      <legend>{legend}</legend>
      {ids.errorId && errors ? <ErrorList id={ids.errorId} errors={errors} /> : null}
      {options.map((o, i) => {
        const id = i === 0 ? ids.id : `${ids.id}-${o.value}`;
        return (
          <div class="checkbox-field" key={o.value}>
            <input type="radio" id={id} name={name} value={o.value} checked={value === o.value} />
            <label for={id}>{o.label}</label>
          </div>
        );
      })}
    </fieldset>
  );
}

export function PersonCardPage({
  ctx,
  user,
  card,
  notice,
  verify = {},
  action,
  reauthNeeded,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  card: PersonCard;
  notice?: string;
  verify?: VerifyModel;
  action?: ActionModel;
  reauthNeeded: boolean;
}) {
  const fullName = `${card.civilite} ${card.prenom} ${card.nom}`.trim();
  const verifyErrors = verify.errors ?? {};
  const actionErrors = action?.errors ?? {};
  const hasErrors =
    Object.keys(verifyErrors).length > 0 ||
    Object.keys(actionErrors).length > 0 ||
    Boolean(verify.formError) ||
    Boolean(action?.formError);
  const firstAccount = card.accounts[0] ? String(card.accounts[0].id) : "";
  const result = verify.result;
  return (
    <ConsoleLayout ctx={ctx} title={t.cardTitle(fullName)} user={user} hasErrors={hasErrors}>
      <p>
        <a href="/console/assistance">{t.back}</a>
      </p>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <p class="hint">{t.noMailNote}</p>
      <section aria-labelledby="identite-titre">
        <h2 id="identite-titre">{t.identityTitle}</h2>
        <dl class="helpdesk-facts">
          <dt>{t.name}</dt>
          <dd>{fullName}</dd>
          <dt>{t.category}</dt>
          <dd>{card.categorie}</dd>
          <dt>{t.establishment}</dt>
          <dd>
            {card.establishment.libelle
              ? `${card.establishment.libelle} (${card.establishment.uai})`
              : card.establishment.uai}
          </dd>
          <dt>{t.status}</dt>
          <dd>{t.statuses[card.status]}</dd>
        </dl>
      </section>
      <section aria-labelledby="comptes-titre">
        <h2 id="comptes-titre">{t.accountsTitle}</h2>
        {card.accounts.length === 0 ? <p>{t.noAccount}</p> : null}
        {card.accounts.map((a) => (
          <AccountSection key={a.id} account={a} />
        ))}
        <h3>{t.numenThrottleTitle}</h3>
        <p data-numen-throttle={card.numenThrottle ? "" : undefined}>
          {card.numenThrottle ? t.numenThrottleUntil(when(card.numenThrottle.until)) : t.numenThrottleNone}
        </p>
      </section>
      <section aria-labelledby="verifier-titre">
        <h2 id="verifier-titre">{t.verifyTitle}</h2>
        <p>{t.verifyIntro}</p>
        {result ? (
          <Notice kind="info">
            {result.what === "numen"
              ? result.matched
                ? t.numenMatches
                : t.numenDiffers
              : result.matched
                ? t.birthDateMatches
                : t.birthDateDiffers}
          </Notice>
        ) : null}
        {verify.formError ? <Notice kind="error">{verify.formError}</Notice> : null}
        <ErrorSummary errors={verifyErrors} labels={{ numen: t.numen, birthDate: t.birthDate }} />
        <PostForm action={`/console/assistance/personnes/${card.personId}/verifier`} token={ctx.csrfToken} class="form">
          <input type="hidden" name="what" value="numen" />
          <Field name="numen" label={t.numen} hint={t.numenHint} errors={verifyErrors.numen} autocomplete="off" />
          <button type="submit" class="button-secondary">
            {t.numenSubmit}
          </button>
        </PostForm>
        <PostForm action={`/console/assistance/personnes/${card.personId}/verifier`} token={ctx.csrfToken} class="form">
          <input type="hidden" name="what" value="birthDate" />
          <Field
            name="birthDate"
            label={t.birthDate}
            hint={t.birthDateHint}
            errors={verifyErrors.birthDate}
            autocomplete="off"
          />
          <button type="submit" class="button-secondary">
            {t.birthDateSubmit}
          </button>
        </PostForm>
      </section>
      {card.accounts.length > 0 ? (
        <section aria-labelledby="actions-titre">
          <h2 id="actions-titre">{t.actionsTitle(fullName)}</h2>
          {action?.formError ? <Notice kind="error">{action.formError}</Notice> : null}
          <ErrorSummary
            errors={actionErrors}
            labels={{ account: t.accountsTitle, action: t.actionsTitle(fullName), reason: t.reason, code: t.codeLabel }}
          />
          <PostForm
            action={`/console/assistance/personnes/${card.personId}/actions`}
            token={ctx.csrfToken}
            class="form"
          >
            <RadioGroup
              name="account"
              legend={t.accountsTitle}
              options={card.accounts.map((a) => ({
                value: String(a.id),
                label: `${a.username} (${t.accountKinds[a.kind]}, ${t.states[a.state]})`,
              }))}
              value={action?.account || firstAccount}
              errors={actionErrors.account}
            />
            <RadioGroup
              name="action"
              legend={t.actionsTitle(fullName)}
              options={HELPDESK_ACTIONS.map((a) => ({ value: a.value, label: a.label }))}
              value={action?.action ?? ""}
              errors={actionErrors.action}
            />
            <p class="hint">{t.temporaryHint}</p>
            <p class="hint">{t.compromisedHint}</p>
            <TextArea
              name="reason"
              label={t.reason}
              hint={t.reasonHint}
              value={action?.reason ?? ""}
              errors={actionErrors.reason}
              maxLength={500}
              rows={3}
            />
            <ReauthField needed={reauthNeeded} errors={actionErrors.code} />
            <button type="submit" class="button-primary">
              {t.submit}
            </button>
          </PostForm>
        </section>
      ) : null}
    </ConsoleLayout>
  );
}

/** The temporary password, shown once (the page is not kept: `Cache-Control: no-store`). */
export function TemporaryPasswordPage({
  ctx,
  user,
  personId,
  temporary,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  personId: number;
  temporary: TemporaryPassword;
}) {
  return (
    <ConsoleLayout ctx={ctx} title={t.temporaryTitle} user={user}>
      <p>{t.temporaryIntro(temporary.username)}</p>
      <p class="temporary-password">
        <span class="visually-hidden">{t.temporaryLabel} : </span>
        <code data-temporary-password>{temporary.password}</code>
      </p>
      <p>{t.temporaryValid(when(temporary.until))}</p>
      <p>
        <a href={`/console/assistance/personnes/${personId}`} class="button-link">
          {t.temporaryBack}
        </a>
      </p>
    </ConsoleLayout>
  );
}
