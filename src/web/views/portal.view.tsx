/** The webmail's public pages: login (W1), help (W2), lost credentials (W3), phishing information. */
import { fr } from "../i18n/fr.js";
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

export interface LoginViewModel {
  readonly username?: string;
  readonly errors?: FieldErrors;
  /** A message about the whole form (wrong credentials, throttled…). */
  readonly formError?: string;
  readonly info?: string;
  /** The ALTCHA challenge (JSON) when this client must solve one. */
  readonly challenge?: string;
}

export function LoginPage({ ctx, vm }: { ctx: PageContext; vm: LoginViewModel }) {
  const errors = vm.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0 || vm.formError !== undefined;
  return (
    <Layout title={fr.login.title} ctx={ctx} hasErrors={hasErrors} withChallenge={vm.challenge !== undefined}>
      <section class="phishing-banner" aria-labelledby="filoutage-titre">
        <h2 id="filoutage-titre">{fr.login.phishingTitle}</h2>
        <p>{fr.login.phishingText}</p>
        <p>
          {fr.login.phishingMorePrefix}
          <a href="/filoutage">{fr.login.phishingMoreLink}</a>
        </p>
      </section>
      <h1>{fr.login.welcome}</h1>
      {vm.info ? <Notice kind="success">{vm.info}</Notice> : null}
      {vm.formError ? (
        <div class="error-summary" role="alert" tabIndex={-1} data-error-summary>
          <p>{vm.formError}</p>
        </div>
      ) : (
        <ErrorSummary errors={errors} labels={{ username: fr.login.username, password: fr.login.password }} />
      )}
      <form method="post" action="/connexion" class="form" novalidate>
        <CsrfInput token={ctx.csrfToken} />
        <Field
          name="username"
          label={fr.login.username}
          value={vm.username ?? ""}
          autocomplete="username"
          hint={fr.login.usernameHint}
          errors={errors.username}
          required
        />
        <CurrentPasswordField
          name="password"
          label={fr.login.password}
          hint={fr.login.passwordHint}
          errors={errors.password}
          required
        />
        <ChallengeField challenge={vm.challenge} />
        <button type="submit" class="button-primary">
          {fr.login.submit}
        </button>
      </form>
      <ul class="links">
        <li>
          <a href="/aide">{fr.login.help}</a>
        </li>
        <li>
          <a href="/identifiants-perdus">{fr.login.lost}</a>
        </li>
      </ul>
    </Layout>
  );
}

export function HelpPage({ ctx }: { ctx: PageContext }) {
  return (
    <Layout title={fr.help.title} ctx={ctx}>
      <h1>{fr.help.title}</h1>
      <p>{fr.help.intro(ctx.academie)}</p>
      <ul>
        {fr.help.items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <h2>{fr.help.lostTitle}</h2>
      <p>
        {fr.help.lostText} <a href="/identifiants-perdus">{fr.login.lost}</a>
      </p>
      <p>
        <a href="/">{fr.help.back}</a>
      </p>
    </Layout>
  );
}

export function LostCredentialsPage({ ctx }: { ctx: PageContext }) {
  return (
    <Layout title={fr.lost.title} ctx={ctx}>
      <h1>{fr.lost.title}</h1>
      <p>{fr.lost.casesIntro}</p>
      <ul>
        {fr.lost.cases.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <p>{fr.lost.action}</p>
      <p>
        <a class="button-link" href="/assistance">
          {fr.lost.link}
        </a>
      </p>
      <p>
        <a href="/">{fr.lost.back}</a>
      </p>
    </Layout>
  );
}

export function PhishingPage({ ctx }: { ctx: PageContext }) {
  return (
    <Layout title={fr.phishing.title} ctx={ctx}>
      <h1>{fr.phishing.title}</h1>
      <p>{fr.phishing.intro}</p>
      <h2>{fr.phishing.recognizeTitle}</h2>
      <ul>
        {fr.phishing.recognize.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      <h2>{fr.phishing.neverTitle}</h2>
      <p>{fr.phishing.never(ctx.mailDomain)}</p>
      <h2>{fr.phishing.reportTitle}</h2>
      <ul>
        {fr.phishing.report.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      <p>
        <a href="/">{fr.phishing.back}</a>
      </p>
    </Layout>
  );
}

export function MessagePage({ ctx, title, message }: { ctx: PageContext; title: string; message: string }) {
  return (
    <Layout title={title} ctx={ctx}>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/">{fr.errors.backHome}</a>
      </p>
    </Layout>
  );
}
