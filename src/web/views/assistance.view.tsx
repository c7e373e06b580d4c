/** The Assistance à l'identification's screens. */

import type { AuditEvent } from "../../audit/audit.service.js";
import type { Account } from "../../directory/directory.types.js";
import type { SessionRecord } from "../../identity/session-store.js";
import { fr, frenchDateTime } from "../i18n/fr.js";
import { NewPasswordForm, type NewPasswordFormModel } from "./account.view.js";
import {
  ChallengeField,
  CsrfInput,
  CurrentPasswordField,
  ErrorSummary,
  Field,
  type FieldErrors,
  Notice,
} from "./components.js";
import { Layout, type PageContext } from "./layout.js";

const t = fr.assistance;

function Back() {
  return (
    <p>
      <a href="/assistance">{t.backToAssistance}</a>
    </p>
  );
}

/** The 6-digit code sent to an address, as every code form asks for it. */
function CodeField({ errors }: { errors: readonly string[] | undefined }) {
  return (
    <Field
      name="code"
      label={t.codeField}
      hint={t.codeHint}
      errors={errors}
      autocomplete="one-time-code"
      inputMode="numeric"
      required
    />
  );
}

export function AssistanceLanding({ ctx }: { ctx: PageContext }) {
  return (
    <Layout title={t.landingTitle} ctx={ctx}>
      <h1>{t.landingTitle}</h1>
      <p class="big-link">
        <a href="/assistance/choix">
          {t.landingLink} <span aria-hidden="true">→</span>
        </a>
      </p>
    </Layout>
  );
}

export interface ChoiceViewModel {
  readonly open?: "personnel" | "externe";
  readonly identifier?: string;
  readonly errors?: FieldErrors;
}

export function AssistanceChoice({ ctx, vm, phone }: { ctx: PageContext; vm: ChoiceViewModel; phone: string }) {
  const errors = vm.errors ?? {};
  return (
    <Layout title={t.landingTitle} ctx={ctx} hasErrors={Object.keys(errors).length > 0}>
      <h1>{t.landingTitle}</h1>
      <p>{t.choiceIntro}</p>
      <p>{t.choicePrompt}</p>
      <details class="choice" id="personnel" open={vm.open === "personnel"}>
        <summary>{t.staffSummary(ctx.academie)}</summary>
        <div class="choice-body">
          <p>{t.staffText(ctx.academie)}</p>
          <p>
            <a class="button-link" href="/assistance/numen">
              {t.staffButton} <span aria-hidden="true">→</span>
            </a>
          </p>
          <h2>{t.unknownNumenTitle}</h2>
          <ul>
            {t.unknownNumen(phone).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      </details>
      <details class="choice" id="externe" open={vm.open === "externe"}>
        <summary>{t.externalSummary}</summary>
        <div class="choice-body">
          <p>{t.externalText}</p>
          <ErrorSummary errors={errors} labels={{ identifier: t.externalField }} />
          <form method="post" action="/assistance/externe" class="form" novalidate>
            <CsrfInput token={ctx.csrfToken} />
            <Field
              name="identifier"
              label={t.externalField}
              value={vm.identifier ?? ""}
              autocomplete="username"
              errors={errors.identifier}
              required
            />
            <button type="submit" class="button-primary">
              {t.externalButton}
            </button>
          </form>
        </div>
      </details>
      <p>
        <a href="/assistance/connexion">{t.accountLoginLink}</a>
      </p>
    </Layout>
  );
}

export interface NumenViewModel {
  readonly numen?: string;
  readonly birthDate?: string;
  readonly accountType?: string;
  readonly errors?: FieldErrors;
  readonly formError?: string;
  readonly info?: string;
  readonly challenge?: string;
}

export function NumenSignInPage({ ctx, vm }: { ctx: PageContext; vm: NumenViewModel }) {
  const errors = vm.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0 || vm.formError !== undefined;
  const typeErrors = errors.accountType;
  return (
    <Layout title={t.numenTitle} ctx={ctx} hasErrors={hasErrors} withChallenge={vm.challenge !== undefined}>
      <h1>{t.numenTitle}</h1>
      <p>{t.numenIntro}</p>
      {vm.info ? <Notice kind="info">{vm.info}</Notice> : null}
      {vm.formError ? (
        <div class="error-summary" role="alert" tabIndex={-1} data-error-summary>
          <p>{vm.formError}</p>
        </div>
      ) : (
        <ErrorSummary
          errors={errors}
          labels={{ numen: t.numenField, birthDate: t.birthField, accountType: t.typeField }}
        />
      )}
      <form method="post" action="/assistance/numen" class="form" novalidate>
        <CsrfInput token={ctx.csrfToken} />
        <Field
          name="numen"
          label={t.numenField}
          value={vm.numen ?? ""}
          hint={t.numenHint}
          errors={errors.numen}
          autocomplete="off"
          required
        />
        <Field
          name="birthDate"
          label={t.birthField}
          value={vm.birthDate ?? ""}
          hint={t.birthHint}
          errors={errors.birthDate}
          autocomplete="bday"
          inputMode="numeric"
          required
        />
        <div class={`field${typeErrors ? " field--error" : ""}`}>
          <label for="champ-accountType">{t.typeField}</label>
          {typeErrors ? (
            <ul class="field-errors" id="champ-accountType-erreur">
              {typeErrors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          ) : null}
          <select
            id="champ-accountType"
            name="accountType"
            aria-invalid={typeErrors ? "true" : undefined}
            aria-describedby={typeErrors ? "champ-accountType-erreur" : undefined}
          >
            <option value="academique" selected={vm.accountType !== "fonctionnel"}>
              {t.typeAcademique(ctx.mailDomain)}
            </option>
            <option value="fonctionnel" selected={vm.accountType === "fonctionnel"}>
              {t.typeFonctionnel(ctx.mailDomain)}
            </option>
          </select>
        </div>
        <ChallengeField challenge={vm.challenge} />
        <button type="submit" class="button-primary">
          {t.submit}
        </button>
      </form>
      <Back />
    </Layout>
  );
}

function LogoutButton({ ctx }: { ctx: PageContext }) {
  return (
    <form method="post" action="/assistance/deconnexion" class="inline-form">
      <CsrfInput token={ctx.csrfToken} />
      <button type="submit" class="button-secondary">
        {t.logout}
      </button>
    </form>
  );
}

function passwordState(a: Account): string {
  return a.passwordState === "initial"
    ? t.stateInitial
    : a.passwordState === "personal"
      ? t.statePersonal
      : t.stateMustChange;
}

export function RecoveryInfoPage({
  ctx,
  accounts,
  notice,
}: {
  ctx: PageContext;
  accounts: Account[];
  notice?: string;
}) {
  const functional = accounts[0]?.kind === "fonctionnel";
  return (
    <Layout title={t.infoTitle} ctx={ctx}>
      <h1>{t.infoTitle}</h1>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {functional ? <p>{t.functionalIntro}</p> : null}
      {accounts.map((a) => (
        <section class="account-card" key={a.id} aria-labelledby={`compte-${a.id}`}>
          <h2 id={`compte-${a.id}`}>
            {t.usernameIs} <strong class="username">{a.username}</strong>
          </h2>
          <p>
            {t.addressIs} <span class="address">{a.address}</span>
          </p>
          <p>{passwordState(a)}</p>
          {functional ? null : <p>{t.noteUsername}</p>}
          <p>
            <a class="button-link" href={`/assistance/compte/mot-de-passe/${a.id}`}>
              {functional ? t.changePasswordOf(a.username) : t.changePassword}
            </a>
          </p>
        </section>
      ))}
      <LogoutButton ctx={ctx} />
    </Layout>
  );
}

export interface NewPasswordViewModel extends Omit<NewPasswordFormModel, "username"> {
  readonly account: Account;
  readonly title: string;
}

export function NewPasswordPage({ ctx, vm, logout }: { ctx: PageContext; vm: NewPasswordViewModel; logout?: boolean }) {
  return (
    <Layout title={vm.title} ctx={ctx} hasErrors={Object.keys(vm.errors ?? {}).length > 0}>
      <h1>{vm.title}</h1>
      <p>{t.resetFor(vm.account.username)}</p>
      <NewPasswordForm ctx={ctx} vm={{ ...vm, username: vm.account.username }} />
      {logout ? <LogoutButton ctx={ctx} /> : <Back />}
    </Layout>
  );
}

export interface AccountLoginViewModel {
  readonly username?: string;
  readonly errors?: FieldErrors;
  readonly formError?: string;
  readonly info?: string;
  readonly challenge?: string;
}

export function AccountLoginPage({ ctx, vm }: { ctx: PageContext; vm: AccountLoginViewModel }) {
  const errors = vm.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0 || vm.formError !== undefined;
  return (
    <Layout title={t.loginTitle} ctx={ctx} hasErrors={hasErrors} withChallenge={vm.challenge !== undefined}>
      <h1>{t.loginTitle}</h1>
      {vm.info ? <Notice kind="success">{vm.info}</Notice> : null}
      <p>{t.loginIntro}</p>
      {vm.formError ? (
        <div class="error-summary" role="alert" tabIndex={-1} data-error-summary>
          <p>{vm.formError}</p>
        </div>
      ) : (
        <ErrorSummary errors={errors} labels={{ username: t.loginIdentifier, password: t.loginPassword }} />
      )}
      <form method="post" action="/assistance/connexion" class="form" novalidate>
        <CsrfInput token={ctx.csrfToken} />
        <Field
          name="username"
          label={t.loginIdentifier}
          value={vm.username ?? ""}
          autocomplete="username"
          errors={errors.username}
          required
        />
        <CurrentPasswordField name="password" label={t.loginPassword} errors={errors.password} required />
        <ChallengeField challenge={vm.challenge} noScriptNote={false} />
        <button type="submit" class="button-primary">
          {t.loginSubmit}
        </button>
      </form>
      <Back />
    </Layout>
  );
}

export interface AccountPageViewModel {
  readonly account: Account;
  readonly signIns: AuditEvent[];
  readonly sessions: SessionRecord[];
  readonly currentIdHash: string;
  readonly pendingEmail: string | null;
  readonly notice?: string;
  readonly passwordErrors?: FieldErrors;
  readonly emailErrors?: FieldErrors;
  readonly emailValue?: string;
  readonly min: number;
  readonly max: number;
}

function appName(e: AuditEvent): string {
  if (e.action.startsWith("recovery.")) return t.appNames.assistance ?? "";
  const app = typeof e.details.application === "string" ? e.details.application : "webmail";
  return t.appNames[app] ?? app;
}

export function AccountPage({ ctx, vm }: { ctx: PageContext; vm: AccountPageViewModel }) {
  const a = vm.account;
  const emailErrors = vm.emailErrors ?? {};
  const hasErrors = Object.keys(vm.passwordErrors ?? {}).length + Object.keys(emailErrors).length > 0;
  return (
    <Layout title={t.accountTitle} ctx={ctx} hasErrors={hasErrors}>
      <div class="account-bar">
        <h1>{t.accountTitle}</h1>
        <LogoutButton ctx={ctx} />
      </div>
      {vm.notice ? <Notice kind="success">{vm.notice}</Notice> : null}
      <p>
        {t.usernameIs} <strong class="username">{a.username}</strong>
      </p>
      <p>
        {t.addressIs} <span class="address">{a.address}</span>
      </p>

      <section aria-labelledby="titre-mot-de-passe">
        <h2 id="titre-mot-de-passe">{t.changePassword}</h2>
        <NewPasswordForm
          ctx={ctx}
          vm={{
            ...(vm.passwordErrors ? { errors: vm.passwordErrors } : {}),
            min: vm.min,
            max: vm.max,
            action: "/assistance/mon-compte/mot-de-passe",
            username: a.username,
            askCurrent: true,
            askCompromised: true,
          }}
        />
      </section>

      <section aria-labelledby="titre-secours">
        <h2 id="titre-secours">{t.recoveryTitle}</h2>
        <p>{a.recoveryEmail && a.recoveryConfirmed ? t.recoveryIs(a.recoveryEmail) : t.recoveryNone}</p>
        <p class="hint">{t.recoveryHelp}</p>
        {vm.pendingEmail ? (
          <form method="post" action="/assistance/mon-compte/adresse-de-secours/confirmer" class="form" novalidate>
            <CsrfInput token={ctx.csrfToken} />
            <p>{t.codeSent(vm.pendingEmail)}</p>
            <CodeField errors={emailErrors.code} />
            <button type="submit" class="button-primary">
              {t.codeSubmit}
            </button>
          </form>
        ) : null}
        <form method="post" action="/assistance/mon-compte/adresse-de-secours" class="form" novalidate>
          <CsrfInput token={ctx.csrfToken} />
          <Field
            name="email"
            label={t.recoveryField}
            type="email"
            value={vm.emailValue ?? ""}
            autocomplete="email"
            errors={emailErrors.email}
            required
          />
          <CurrentPasswordField
            name="recoveryPassword"
            label={t.currentPassword}
            hint={t.recoveryPasswordHint}
            errors={emailErrors.recoveryPassword}
          />
          <button type="submit" class="button-secondary">
            {t.recoverySend}
          </button>
        </form>
        {a.recoveryEmail && a.recoveryConfirmed ? (
          <form method="post" action="/assistance/mon-compte/adresse-de-secours/supprimer" class="form" novalidate>
            <CsrfInput token={ctx.csrfToken} />
            <CurrentPasswordField
              name="removePassword"
              label={t.currentPassword}
              hint={t.recoveryRemoveHint}
              errors={emailErrors.removePassword}
            />
            <button type="submit" class="button-secondary">
              {t.recoveryRemove}
            </button>
          </form>
        ) : null}
      </section>

      <section aria-labelledby="titre-connexions">
        <h2 id="titre-connexions">{t.signInsTitle}</h2>
        {vm.signIns.length === 0 ? (
          <p>{t.signInsNone}</p>
        ) : (
          <div class="table-scroll">
            <table>
              <caption class="visually-hidden">{t.signInsTitle}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.signInsDate}</th>
                  <th scope="col">{t.signInsIp}</th>
                  <th scope="col">{t.signInsApp}</th>
                </tr>
              </thead>
              <tbody>
                {vm.signIns.map((e) => (
                  <tr key={e.id}>
                    <td>{frenchDateTime(new Date(e.at))}</td>
                    <td>{typeof e.details.ip === "string" ? e.details.ip : ""}</td>
                    <td>{appName(e)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="titre-sessions">
        <h2 id="titre-sessions">{t.sessionsTitle}</h2>
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">{t.sessionsTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t.sessionsStarted}</th>
                <th scope="col">{t.signInsIp}</th>
                <th scope="col">{t.sessionsDevice}</th>
                <th scope="col">
                  <span class="visually-hidden">{t.sessionClose}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {vm.sessions.map((s) => (
                <tr key={s.idHash}>
                  <td>
                    {frenchDateTime(new Date(s.createdAt))}
                    {s.idHash === vm.currentIdHash ? ` ${t.sessionsCurrent}` : ""}
                  </td>
                  <td>{s.ip}</td>
                  <td class="user-agent">{s.userAgent}</td>
                  <td>
                    {s.idHash === vm.currentIdHash ? null : (
                      <form method="post" action="/assistance/mon-compte/sessions/fermer" class="inline-form">
                        <CsrfInput token={ctx.csrfToken} />
                        <input type="hidden" name="session" value={s.idHash} />
                        <button
                          type="submit"
                          class="button-secondary"
                          aria-label={`${t.sessionClose} : ${frenchDateTime(new Date(s.createdAt))}, ${s.ip}`}
                        >
                          {t.sessionClose}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </Layout>
  );
}

export function AssistanceMessagePage({
  ctx,
  title,
  message,
  links,
}: {
  ctx: PageContext;
  title: string;
  message: string;
  links: Array<{ href: string; label: string }>;
}) {
  return (
    <Layout title={title} ctx={ctx}>
      <h1>{title}</h1>
      <Notice kind="info">{message}</Notice>
      <ul class="links">
        {links.map((l) => (
          <li key={l.href}>
            <a href={l.href}>{l.label}</a>
          </li>
        ))}
      </ul>
    </Layout>
  );
}

export function SignInCodePage({ ctx, target, errors }: { ctx: PageContext; target: string; errors?: FieldErrors }) {
  const e = errors ?? {};
  return (
    <Layout title={t.signInCodeTitle} ctx={ctx} hasErrors={Object.keys(e).length > 0}>
      <h1>{t.signInCodeTitle}</h1>
      <p>{t.signInCodeText(target)}</p>
      <ErrorSummary errors={e} labels={{ code: t.codeField }} />
      <form method="post" action="/assistance/code" class="form" novalidate>
        <CsrfInput token={ctx.csrfToken} />
        <CodeField errors={e.code} />
        <button type="submit" class="button-primary">
          {t.submit}
        </button>
      </form>
      <p>
        <a href="/assistance/numen">{t.signInCodeRestart}</a>
      </p>
    </Layout>
  );
}

/** The page of the cancel link sent to a previous recovery address: what the button will undo. */
export function CancelRecoveryChangePage({ ctx, action, text }: { ctx: PageContext; action: string; text: string }) {
  return (
    <Layout title={t.cancelChangeTitle} ctx={ctx}>
      <h1>{t.cancelChangeTitle}</h1>
      <p>{text}</p>
      <form method="post" action={action} class="form">
        <CsrfInput token={ctx.csrfToken} />
        <button type="submit" class="button-primary">
          {t.cancelChangeSubmit}
        </button>
      </form>
    </Layout>
  );
}
