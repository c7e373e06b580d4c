/**
 * The console's pages (`/console`): its sign-in, the second factor's enrolment and step, the
 * recovery codes shown once, and the home page with the person's areas. Server-rendered, complete
 * without JavaScript.
 */
import type { ComponentChildren } from "preact";
import { useContext } from "preact/hooks";
import type { AuditEvent } from "../../audit/audit.service.js";
import { AUDIT_ACTIONS } from "../../audit/audit-actions.js";
import { CONSOLE_ROLES, type ConsoleRole, type RoleHolder } from "../../console/console.types.js";
import type { PersonHit } from "../../directory/people-search.js";
import { consoleFr } from "../i18n/console.fr.js";
import { adminFr } from "../i18n/console-admin.fr.js";
import { keysFr } from "../i18n/console-keys.fr.js";
import { securityFr } from "../i18n/console-security.fr.js";
import { CsrfInput, ErrorSummary, Field, type FieldErrors, Notice, PostForm, SelectField } from "./components.js";
import { KeyForm, KeyReauth, NeedsJavaScript, SecurityKeysContext } from "./console-key-parts.view.js";
import { Layout, type PageContext } from "./layout.js";

const t = consoleFr;

/** Who is signed in to the console, for its header. */
export interface ConsoleUser {
  readonly name: string;
  readonly username: string;
  readonly roles: readonly ConsoleRole[];
  /** Whether a security key can confirm a sensitive action (WebAuthn). */
  readonly hasSecurityKeys?: boolean;
}

/** The frame of a console page: its name in the header, the person and « Se déconnecter » once signed in. */
export function ConsoleLayout({
  ctx,
  title,
  user,
  hasErrors,
  children,
}: {
  ctx: PageContext;
  title: string;
  user?: ConsoleUser;
  hasErrors?: boolean;
  children: ComponentChildren;
}) {
  return (
    <Layout
      title={`${title} — ${t.appName}`}
      ctx={ctx}
      hasErrors={hasErrors}
      bodyClass="console-page"
      header={
        <div class="console-header">
          <p class="console-name">{t.appName}</p>
          {user ? (
            <div class="account-bar">
              <p class="account-name">
                {t.signedInAs} <strong>{user.name}</strong> ({user.username})
              </p>
              <form method="post" action="/console/deconnexion" class="inline-form">
                <CsrfInput token={ctx.csrfToken} />
                <button type="submit" class="button-secondary">
                  {t.signOut}
                </button>
              </form>
            </div>
          ) : null}
        </div>
      }
    >
      <h1>{title}</h1>
      <SecurityKeysContext.Provider value={Boolean(user?.hasSecurityKeys)}>{children}</SecurityKeysContext.Provider>
    </Layout>
  );
}

export function ConsoleSignInPage({
  ctx,
  username,
  errors = {},
  formError,
  notice,
}: {
  ctx: PageContext;
  username: string;
  errors?: FieldErrors;
  formError?: string;
  notice?: string;
}) {
  return (
    <ConsoleLayout ctx={ctx} title={t.signInTitle} hasErrors={Object.keys(errors).length > 0 || Boolean(formError)}>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <p>{t.signInIntro}</p>
      {formError ? <Notice kind="error">{formError}</Notice> : null}
      <ErrorSummary errors={errors} labels={{ username: t.username, password: t.password }} />
      <PostForm action="/console/connexion" token={ctx.csrfToken} class="form">
        <Field
          name="username"
          label={t.username}
          value={username}
          errors={errors.username}
          autocomplete="username"
          required
        />
        <Field
          name="password"
          label={t.password}
          type="password"
          errors={errors.password}
          autocomplete="current-password"
          required
          toggle
        />
        <button type="submit" class="button-primary">
          {t.signIn}
        </button>
      </PostForm>
    </ConsoleLayout>
  );
}

/** The six digits' field (one-time-code: the phone may offer the code). */
function CodeField({ label, hint, errors }: { label: string; hint: string; errors?: readonly string[] }) {
  return (
    <Field
      name="code"
      label={label}
      hint={hint}
      errors={errors}
      autocomplete="one-time-code"
      inputMode="numeric"
      required
    />
  );
}

export function EnrolmentPage({
  ctx,
  secret,
  qrDataUrl,
  errors = {},
  keyName = "",
}: {
  ctx: PageContext;
  secret: string;
  qrDataUrl: string;
  /** `code`: the TOTP form's; `name`, `credential`: the security key's. */
  errors?: FieldErrors;
  keyName?: string;
}) {
  // The key in groups of four, as authenticator apps show it.
  const grouped = secret.replace(/(.{4})/g, "$1 ").trim();
  return (
    <ConsoleLayout ctx={ctx} title={t.enrolTitle} hasErrors={Object.keys(errors).length > 0}>
      <p>{t.enrolIntro}</p>
      <ErrorSummary errors={errors} labels={{ code: t.code, name: keysFr.name, credential: keysFr.enrolTitle }} />
      <ol class="enrol-steps">
        <li>
          <p>{t.enrolStep1}</p>
          <img src={qrDataUrl} alt={t.qrAlt} width="200" height="200" class="qr-code" />
          <p>
            {t.enrolManual} <code class="totp-secret">{grouped}</code>
          </p>
        </li>
        <li>
          <p>{t.enrolStep2}</p>
          <PostForm action="/console/enrolement" token={ctx.csrfToken} class="form">
            <CodeField label={t.code} hint={t.codeHint} errors={errors.code} />
            <button type="submit" class="button-primary">
              {t.enrolSubmit}
            </button>
          </PostForm>
        </li>
      </ol>
      <section aria-labelledby="cle-titre" id="champ-credential">
        <h2 id="cle-titre">{keysFr.enrolTitle}</h2>
        <p>{keysFr.enrolIntro}</p>
        <KeyForm purpose="register" action="/console/enrolement/cle" token={ctx.csrfToken} submit={keysFr.enrolSubmit}>
          <Field
            name="name"
            label={keysFr.name}
            hint={keysFr.nameHint}
            value={keyName}
            errors={errors.name ?? errors.credential}
            autocomplete="off"
            required
          />
        </KeyForm>
      </section>
    </ConsoleLayout>
  );
}

export function RecoveryCodesPage({ ctx, codes }: { ctx: PageContext; codes: readonly string[] }) {
  return (
    <ConsoleLayout ctx={ctx} title={t.recoveryTitle}>
      <p>{t.recoveryIntro}</p>
      <ul class="recovery-codes" aria-label={t.recoveryListLabel}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>
        <a href="/console" class="button-link">
          {t.recoveryContinue}
        </a>
      </p>
    </ConsoleLayout>
  );
}

export function SecondFactorPage({
  ctx,
  errors = {},
  formError,
  hasKeys = false,
}: {
  ctx: PageContext;
  errors?: FieldErrors;
  formError?: string;
  /** The account has security keys: « Utiliser une clé de sécurité » beside the code. */
  hasKeys?: boolean;
}) {
  return (
    <ConsoleLayout ctx={ctx} title={t.secondTitle} hasErrors={Object.keys(errors).length > 0 || Boolean(formError)}>
      <p>{t.secondIntro}</p>
      {formError ? <Notice kind="error">{formError}</Notice> : null}
      <ErrorSummary errors={errors} labels={{ code: t.secondCode }} />
      <PostForm action="/console/second-facteur" token={ctx.csrfToken} class="form">
        <CodeField label={t.secondCode} hint={t.secondHint} errors={errors.code} />
        <button type="submit" class="button-primary">
          {t.secondSubmit}
        </button>
      </PostForm>
      {hasKeys ? (
        <section aria-labelledby="cle-titre">
          <h2 id="cle-titre">{keysFr.title}</h2>
          <p>{keysFr.signInOr}</p>
          <KeyForm
            purpose="sign-in"
            action="/console/second-facteur/cle"
            token={ctx.csrfToken}
            submit={keysFr.useKey}
          />
        </section>
      ) : null}
    </ConsoleLayout>
  );
}

export function ConsoleHomePage({ ctx, user, notice }: { ctx: PageContext; user: ConsoleUser; notice?: string }) {
  return (
    <ConsoleLayout ctx={ctx} title={t.homeTitle} user={user}>
      {notice ? <Notice kind="info">{notice}</Notice> : null}
      <p class="hint">{t.sessionNote}</p>
      <h2>{t.areasTitle}</h2>
      <ul class="console-areas">
        {user.roles.map((role) => (
          <li key={role}>
            <a href={`/console/${role}`}>{t.roles[role]}</a>
            <p>{t.roleText[role]}</p>
          </li>
        ))}
      </ul>
      <h2>{keysFr.title}</h2>
      <p>
        <a href="/console/cles">{keysFr.homeLink}</a> — {keysFr.homeText}
      </p>
    </ConsoleLayout>
  );
}

/** The second factor typed again, in a sensitive action's form (when not typed in the last 5 minutes). */
export function ReauthField({ needed, errors }: { needed: boolean; errors?: readonly string[] }) {
  const hasKeys = useContext(SecurityKeysContext);
  if (!needed) return null;
  return (
    <fieldset class="reauth">
      <legend>{t.reauthLegend}</legend>
      <CodeField label={t.code} hint={t.reauthHint} errors={errors} />
      {hasKeys ? (
        <>
          <KeyReauth />
          <NeedsJavaScript />
        </>
      ) : null}
    </fieldset>
  );
}

export interface RolesModel {
  readonly holders: readonly RoleHolder[];
  readonly reauthNeeded: boolean;
  readonly form: { readonly username: string; readonly role: string };
  readonly errors?: FieldErrors;
  readonly notice?: string;
}

export function AdminPage({
  ctx,
  user,
  roles,
  dashboard,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  roles: RolesModel;
  /** The dashboard's section, when it is built. */
  dashboard?: ComponentChildren;
}) {
  const errors = roles.errors ?? {};
  return (
    <ConsoleLayout ctx={ctx} title={t.adminTitle} user={user} hasErrors={Object.keys(errors).length > 0}>
      {roles.notice ? <Notice kind="success">{roles.notice}</Notice> : null}
      <nav aria-label={adminFr.nav}>
        <ul class="link-list">
          <li>
            <a href="/console/admin/import">{adminFr.navLinks.import}</a>
          </li>
          <li>
            <a href="/console/admin/etablissements">{adminFr.navLinks.establishments}</a>
          </li>
          <li>
            <a href="/console/admin/file-envoi">{adminFr.navLinks.queue}</a>
          </li>
          <li>
            <a href="/console/admin/configuration">{adminFr.navLinks.config}</a>
          </li>
        </ul>
      </nav>
      {dashboard}
      <section aria-labelledby="roles-titre">
        <h2 id="roles-titre">{t.rolesTitle}</h2>
        <p>{t.rolesIntro}</p>
        {roles.holders.length === 0 ? (
          <p>{t.rolesEmpty}</p>
        ) : (
          <div class="table-scroll">
            <table>
              <caption>{t.rolesTableCaption}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.colUser}</th>
                  <th scope="col">{t.colRole}</th>
                  <th scope="col">{t.colGranted}</th>
                  <th scope="col">{t.colBy}</th>
                  <th scope="col">{t.colAction}</th>
                </tr>
              </thead>
              <tbody>
                {roles.holders.map((h) => (
                  <tr key={`${h.accountId}-${h.role}`}>
                    <td>{h.username}</td>
                    <td>{t.roles[h.role]}</td>
                    <td>
                      <time dateTime={h.grantedAt}>{h.grantedAt.slice(0, 10).split("-").reverse().join("/")}</time>
                    </td>
                    <td>{h.grantedBy}</td>
                    <td>
                      <a href={`#retirer-${h.accountId}-${h.role}`}>{t.revoke(t.roles[h.role], h.username)}</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h3>{t.grantTitle}</h3>
        <ErrorSummary errors={errors} labels={{ username: t.grantUser, role: t.grantRole, code: t.code }} />
        <PostForm action="/console/admin/roles" token={ctx.csrfToken} class="form">
          <input type="hidden" name="operation" value="grant" />
          <Field name="username" label={t.grantUser} value={roles.form.username} errors={errors.username} required />
          <RoleSelect value={roles.form.role} errors={errors.role} />
          <ReauthField needed={roles.reauthNeeded} errors={errors.code} />
          <button type="submit" class="button-primary">
            {t.grantSubmit}
          </button>
        </PostForm>
        {roles.holders.map((h) => (
          <PostForm
            key={`${h.accountId}-${h.role}`}
            action="/console/admin/roles"
            token={ctx.csrfToken}
            class="form revoke-form"
          >
            <h3 id={`retirer-${h.accountId}-${h.role}`}>{t.revoke(t.roles[h.role], h.username)}</h3>
            <input type="hidden" name="operation" value="revoke" />
            <input type="hidden" name="username" value={h.username} />
            <input type="hidden" name="role" value={h.role} />
            <ReauthField needed={roles.reauthNeeded} />
            <button type="submit" class="button-secondary">
              {t.revokeShort}
            </button>
          </PostForm>
        ))}
      </section>
    </ConsoleLayout>
  );
}

function RoleSelect({ value, errors }: { value: string; errors?: readonly string[] | undefined }) {
  return (
    <SelectField name="role" label={t.grantRole} errors={errors}>
      {CONSOLE_ROLES.map((role) => (
        <option key={role} value={role} selected={value === role}>
          {t.roles[role]}
        </option>
      ))}
    </SelectField>
  );
}

export interface AuditModel {
  readonly events: readonly AuditEvent[];
  readonly filters: {
    readonly acteur: string;
    readonly action: string;
    readonly compte: string;
    readonly ip: string;
    readonly du: string;
    readonly au: string;
  };
  readonly errors?: FieldErrors;
  readonly exportHref: string;
}

/** The security team's pages (`/console/securite/…`), at the top of each. */
export function SecurityNav() {
  return (
    <nav aria-label={securityFr.nav}>
      <ul class="link-list">
        <li>
          <a href="/console/securite">{securityFr.navLinks.audit}</a>
        </li>
        <li>
          <a href="/console/securite/signalements">{securityFr.navLinks.reports}</a>
        </li>
        <li>
          <a href="/console/securite/quarantaine">{securityFr.navLinks.quarantine}</a>
        </li>
      </ul>
    </nav>
  );
}

export function SecuritePage({ ctx, user, audit }: { ctx: PageContext; user: ConsoleUser; audit: AuditModel }) {
  const f = audit.filters;
  const errors = audit.errors ?? {};
  return (
    <ConsoleLayout ctx={ctx} title={t.securiteTitle} user={user} hasErrors={Object.keys(errors).length > 0}>
      <SecurityNav />
      <section aria-labelledby="audit-titre">
        <h2 id="audit-titre">{t.auditTitle}</h2>
        <p>{t.auditIntro}</p>
        <ErrorSummary
          errors={errors}
          labels={{ compte: t.auditAccount, du: t.auditSince, au: t.auditUntil, action: t.auditAction }}
        />
        <form method="get" action="/console/securite" class="form audit-filters" aria-label={t.auditFilters}>
          <Field name="acteur" label={t.auditActor} value={f.acteur} />
          <SelectField name="action" label={t.auditAction} errors={errors.action}>
            <option value="">{t.auditAnyAction}</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a} selected={f.action === a}>
                {a}
              </option>
            ))}
          </SelectField>
          <Field name="compte" label={t.auditAccount} value={f.compte} errors={errors.compte} />
          <Field name="ip" label={t.auditAddress} value={f.ip} />
          <Field name="du" label={t.auditSince} value={f.du} errors={errors.du} />
          <Field name="au" label={t.auditUntil} value={f.au} errors={errors.au} />
          <button type="submit" class="button-primary">
            {t.auditFilter}
          </button>
        </form>
        <p>
          <a href={audit.exportHref} class="button-secondary-link" download>
            {t.auditExport}
          </a>
        </p>
        {audit.events.length === 0 ? (
          <p>{t.auditEmpty}</p>
        ) : (
          <div class="table-scroll">
            <table class="audit-table">
              <caption>{t.auditCaption}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.auditColAt}</th>
                  <th scope="col">{t.auditColActor}</th>
                  <th scope="col">{t.auditColAction}</th>
                  <th scope="col">{t.auditColEntity}</th>
                  <th scope="col">{t.auditColDetails}</th>
                </tr>
              </thead>
              <tbody>
                {audit.events.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <time dateTime={e.at}>{e.at.replace("T", " ").slice(0, 19)}</time>
                    </td>
                    <td>{e.actor}</td>
                    <td>{e.action}</td>
                    <td>{e.entityId ? `${e.entity} ${e.entityId}` : e.entity}</td>
                    <td class="audit-details">{JSON.stringify(e.details)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </ConsoleLayout>
  );
}

export interface PeopleSearchModel {
  readonly q: string;
  readonly hits?: readonly PersonHit[];
  readonly errors?: FieldErrors;
}

/** The helpdesk's search: one box, the people found with their accounts (never a NUMEN nor a birth date). */
export function AssistancePage({
  ctx,
  user,
  search,
}: {
  ctx: PageContext;
  user: ConsoleUser;
  search: PeopleSearchModel;
}) {
  const errors = search.errors ?? {};
  return (
    <ConsoleLayout ctx={ctx} title={t.assistanceTitle} user={user} hasErrors={Object.keys(errors).length > 0}>
      <section aria-labelledby="recherche-titre">
        <h2 id="recherche-titre">{t.searchTitle}</h2>
        <ErrorSummary errors={errors} labels={{ q: t.searchLabel }} />
        {/* biome-ignore lint/a11y/useSemanticElements: role=search on the form is the widely supported landmark */}
        <form method="get" action="/console/assistance" class="form" role="search">
          <Field
            name="q"
            label={t.searchLabel}
            value={search.q}
            hint={t.searchHint}
            errors={errors.q}
            autocomplete="off"
          />
          <button type="submit" class="button-primary">
            {t.searchSubmit}
          </button>
        </form>
        {search.hits ? (
          <>
            <p role="status">{t.searchResults(search.hits.length)}</p>
            {search.hits.length > 0 ? (
              <div class="table-scroll">
                <table class="people-table">
                  <caption>{t.resultsCaption}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t.colPerson}</th>
                      <th scope="col">{t.colCategory}</th>
                      <th scope="col">{t.colEstablishment}</th>
                      <th scope="col">{t.colAccounts}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {search.hits.map((h) => (
                      <tr key={h.personId}>
                        <th scope="row">
                          <a href={`/console/assistance/personnes/${h.personId}`}>
                            {h.civilite} {h.prenom} {h.nom}
                          </a>
                          {h.status === "departed" ? <span class="tag"> {t.departed}</span> : null}
                          {h.match === "fuzzy" ? <span class="hint"> ({t.approximate})</span> : null}
                        </th>
                        <td>{h.categorie}</td>
                        <td>
                          {h.establishment ? `${h.establishment.libelle ?? ""} (${h.establishment.uai})`.trim() : "—"}
                        </td>
                        <td>
                          <ul class="hit-accounts">
                            {h.accounts.map((a) => (
                              <li key={a.id}>
                                <strong>{a.username}</strong> — {a.address} ({t.accountKinds[a.kind]},{" "}
                                {t.accountStates[a.state]})
                              </li>
                            ))}
                          </ul>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </>
        ) : null}
      </section>
    </ConsoleLayout>
  );
}
