/** The Assistance à l'identification's screens. */

import type { ComponentChildren } from "preact";
import type { AuditEvent } from "../../audit/audit.service.js";
import type { Account } from "../../directory/directory.types.js";
import type { SessionRecord } from "../../identity/session-store.js";
import { fr, frenchDateTime } from "../i18n/fr.js";
import type { MailClientSettings } from "../mail-clients.js";
import { MailClientSection, NewPasswordForm, type NewPasswordFormModel } from "./account.view.js";
import {
  ChallengeField,
  CsrfInput,
  CurrentPasswordField,
  ErrorSummary,
  Field,
  type FieldErrors,
  FormErrorSummary,
  fieldOf,
  LinkList,
  Notice,
  PostButton,
  PostForm,
  Section,
  type SignInFormModel,
  TextList,
  UsernameField,
} from "./components.js";
import { Layout, type PageContext } from "./layout.js";
import type { LoginViewModel } from "./portal.view.js";

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
          <TextList items={t.unknownNumen(phone)} />
        </div>
      </details>
      <details class="choice" id="externe" open={vm.open === "externe"}>
        <summary>{t.externalSummary}</summary>
        <div class="choice-body">
          <p>{t.externalText}</p>
          <ErrorSummary errors={errors} labels={{ identifier: t.externalField }} />
          <PostForm action="/assistance/externe" token={ctx.csrfToken} class="form">
            <UsernameField
              name="identifier"
              label={t.externalField}
              value={vm.identifier ?? ""}
              errors={errors.identifier}
            />
            <button type="submit" class="button-primary">
              {t.externalButton}
            </button>
          </PostForm>
        </div>
      </details>
      <p>
        <a href="/assistance/connexion">{t.accountLoginLink}</a>
      </p>
    </Layout>
  );
}

export interface NumenViewModel extends SignInFormModel {
  readonly numen?: string;
  readonly birthDate?: string;
  readonly accountType?: string;
}

const NUMEN_LABELS = { numen: t.numenField, birthDate: t.birthField, accountType: t.typeField };

export function NumenSignInPage({ ctx, vm }: { ctx: PageContext; vm: NumenViewModel }) {
  const errors = vm.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0 || vm.formError !== undefined;
  const typeErrors = errors.accountType;
  return (
    <Layout title={t.numenTitle} ctx={ctx} hasErrors={hasErrors} withChallenge={vm.challenge !== undefined}>
      <h1>{t.numenTitle}</h1>
      <p>{t.numenIntro}</p>
      {vm.info ? <Notice kind="info">{vm.info}</Notice> : null}
      <FormErrorSummary formError={vm.formError} errors={errors} labels={NUMEN_LABELS} />
      <PostForm action="/assistance/numen" token={ctx.csrfToken} class="form">
        <Field {...fieldOf("numen", NUMEN_LABELS, vm, errors)} hint={t.numenHint} autocomplete="off" required />
        <Field
          {...fieldOf("birthDate", NUMEN_LABELS, vm, errors)}
          hint={t.birthHint}
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
      </PostForm>
      <Back />
    </Layout>
  );
}

function LogoutButton({ ctx }: { ctx: PageContext }) {
  return (
    <PostButton action="/assistance/deconnexion" token={ctx.csrfToken}>
      {t.logout}
    </PostButton>
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

/** The account page's sign-in holds what the webmail's does. */
export type AccountLoginViewModel = LoginViewModel;

export function AccountLoginPage({ ctx, vm }: { ctx: PageContext; vm: AccountLoginViewModel }) {
  const errors = vm.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0 || vm.formError !== undefined;
  return (
    <Layout title={t.loginTitle} ctx={ctx} hasErrors={hasErrors} withChallenge={vm.challenge !== undefined}>
      <h1>{t.loginTitle}</h1>
      {vm.info ? <Notice kind="success">{vm.info}</Notice> : null}
      <p>{t.loginIntro}</p>
      <FormErrorSummary
        formError={vm.formError}
        errors={errors}
        labels={{ username: t.loginIdentifier, password: t.loginPassword }}
      />
      <PostForm action="/assistance/connexion" token={ctx.csrfToken} class="form">
        <UsernameField name="username" label={t.loginIdentifier} value={vm.username ?? ""} errors={errors.username} />
        <CurrentPasswordField name="password" label={t.loginPassword} errors={errors.password} required />
        <ChallengeField challenge={vm.challenge} noScriptNote={false} />
        <button type="submit" class="button-primary">
          {t.loginSubmit}
        </button>
      </PostForm>
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
  /** Where mail clients connect (« Configurer un logiciel de messagerie »). */
  readonly mailClients: MailClientSettings;
}

function appName(e: AuditEvent): string {
  if (e.action.startsWith("recovery.")) return t.appNames.assistance ?? "";
  const app = typeof e.details.application === "string" ? e.details.application : "webmail";
  return t.appNames[app] ?? app;
}

interface RecoveryChange {
  readonly action: string;
  /** The current password's field. */
  readonly password: string;
  readonly hint: string;
  readonly submit: string;
}

/** The changes to the recovery address, each confirmed with the current password. */
const RECOVERY_CHANGES = {
  set: {
    action: "/assistance/mon-compte/adresse-de-secours",
    password: "recoveryPassword",
    hint: t.recoveryPasswordHint,
    submit: t.recoverySend,
  },
  remove: {
    action: "/assistance/mon-compte/adresse-de-secours/supprimer",
    password: "removePassword",
    hint: t.recoveryRemoveHint,
    submit: t.recoveryRemove,
  },
} as const satisfies Record<string, RecoveryChange>;

/** The form of one change to the recovery address; its own fields, if any, are the children. */
function RecoveryChangeForm(p: {
  readonly ctx: PageContext;
  readonly change: RecoveryChange;
  readonly errors: FieldErrors;
  readonly children?: ComponentChildren;
}) {
  const { action, password, hint, submit } = p.change;
  return (
    <PostForm action={action} token={p.ctx.csrfToken} class="form">
      {p.children}
      <CurrentPasswordField name={password} label={t.currentPassword} hint={hint} errors={p.errors[password]} />
      <button type="submit" class="button-secondary">
        {submit}
      </button>
    </PostForm>
  );
}

/** A table of the account's activity, its caption for screen readers only; the rows are the children. */
function Table(p: { caption: string; headings: readonly ComponentChildren[]; children: ComponentChildren }) {
  return (
    <div class="table-scroll">
      <table>
        <caption class="visually-hidden">{p.caption}</caption>
        <thead>
          <tr>
            {p.headings.map((heading, i) => (
              <th key={i} scope="col">
                {heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{p.children}</tbody>
      </table>
    </div>
  );
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

      <Section id="titre-mot-de-passe" title={t.changePassword}>
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
      </Section>

      <Section id="titre-secours" title={t.recoveryTitle}>
        <p>{a.recoveryEmail && a.recoveryConfirmed ? t.recoveryIs(a.recoveryEmail) : t.recoveryNone}</p>
        <p class="hint">{t.recoveryHelp}</p>
        {vm.pendingEmail ? (
          <PostForm action="/assistance/mon-compte/adresse-de-secours/confirmer" token={ctx.csrfToken} class="form">
            <p>{t.codeSent(vm.pendingEmail)}</p>
            <CodeField errors={emailErrors.code} />
            <button type="submit" class="button-primary">
              {t.codeSubmit}
            </button>
          </PostForm>
        ) : null}
        <RecoveryChangeForm ctx={ctx} change={RECOVERY_CHANGES.set} errors={emailErrors}>
          <Field
            name="email"
            label={t.recoveryField}
            type="email"
            value={vm.emailValue ?? ""}
            autocomplete="email"
            errors={emailErrors.email}
            required
          />
        </RecoveryChangeForm>
        {a.recoveryEmail && a.recoveryConfirmed ? (
          <RecoveryChangeForm ctx={ctx} change={RECOVERY_CHANGES.remove} errors={emailErrors} />
        ) : null}
      </Section>

      <Section id="titre-connexions" title={t.signInsTitle}>
        {vm.signIns.length === 0 ? (
          <p>{t.signInsNone}</p>
        ) : (
          <Table caption={t.signInsTitle} headings={[t.signInsDate, t.signInsIp, t.signInsApp]}>
            {vm.signIns.map((e) => (
              <tr key={e.id}>
                <td>{frenchDateTime(new Date(e.at))}</td>
                <td>{typeof e.details.ip === "string" ? e.details.ip : ""}</td>
                <td>{appName(e)}</td>
              </tr>
            ))}
          </Table>
        )}
      </Section>

      <Section id="titre-sessions" title={t.sessionsTitle}>
        <Table
          caption={t.sessionsTitle}
          headings={[
            t.sessionsStarted,
            t.signInsIp,
            t.sessionsDevice,
            <span key="close" class="visually-hidden">
              {t.sessionClose}
            </span>,
          ]}
        >
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
        </Table>
      </Section>

      <MailClientSection settings={vm.mailClients} username={a.username} address={a.address} />
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
      <LinkList class="links" links={links.map((l) => [l.href, l.label] as const)} />
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
      <PostForm action="/assistance/code" token={ctx.csrfToken} class="form">
        <CodeField errors={e.code} />
        <button type="submit" class="button-primary">
          {t.submit}
        </button>
      </PostForm>
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
