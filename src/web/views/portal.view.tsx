/** The webmail's public pages: login, help, lost credentials, phishing information. */
import type { ComponentChildren } from "preact";
import { fr } from "../i18n/fr.js";
import {
  ChallengeField,
  CurrentPasswordField,
  FormErrorSummary,
  LinkList,
  Notice,
  PostForm,
  type SignInFormModel,
  TextList,
  UsernameField,
} from "./components.js";
import { Layout, type PageContext } from "./layout.js";

export interface LoginViewModel extends SignInFormModel {
  readonly username?: string;
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
      <FormErrorSummary
        formError={vm.formError}
        errors={errors}
        labels={{ username: fr.login.username, password: fr.login.password }}
      />
      <PostForm action="/connexion" token={ctx.csrfToken} class="form">
        <UsernameField
          name="username"
          label={fr.login.username}
          value={vm.username ?? ""}
          hint={fr.login.usernameHint}
          errors={errors.username}
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
      </PostForm>
      <LinkList
        class="links"
        links={[
          ["/aide", fr.login.help],
          ["/identifiants-perdus", fr.login.lost],
        ]}
      />
    </Layout>
  );
}

/** A public page of text: its title as heading, then the way back to the login page (`back`). */
function PublicPage(p: { ctx: PageContext; title: string; back: string; children: ComponentChildren }) {
  return (
    <Layout title={p.title} ctx={p.ctx}>
      <h1>{p.title}</h1>
      {p.children}
      <p>
        <a href="/">{p.back}</a>
      </p>
    </Layout>
  );
}

export function HelpPage({ ctx }: { ctx: PageContext }) {
  return (
    <PublicPage ctx={ctx} title={fr.help.title} back={fr.help.back}>
      <p>{fr.help.intro(ctx.academie)}</p>
      <TextList items={fr.help.items} />
      <h2>{fr.help.lostTitle}</h2>
      <p>
        {fr.help.lostText} <a href="/identifiants-perdus">{fr.login.lost}</a>
      </p>
    </PublicPage>
  );
}

export function LostCredentialsPage({ ctx }: { ctx: PageContext }) {
  return (
    <PublicPage ctx={ctx} title={fr.lost.title} back={fr.lost.back}>
      <p>{fr.lost.casesIntro}</p>
      <TextList items={fr.lost.cases} />
      <p>{fr.lost.action}</p>
      <p>
        <a class="button-link" href="/assistance">
          {fr.lost.link}
        </a>
      </p>
    </PublicPage>
  );
}

export function PhishingPage({ ctx }: { ctx: PageContext }) {
  return (
    <PublicPage ctx={ctx} title={fr.phishing.title} back={fr.phishing.back}>
      <p>{fr.phishing.intro}</p>
      <h2>{fr.phishing.recognizeTitle}</h2>
      <TextList items={fr.phishing.recognize} />
      <h2>{fr.phishing.neverTitle}</h2>
      <p>{fr.phishing.never(ctx.mailDomain)}</p>
      <h2>{fr.phishing.reportTitle}</h2>
      <TextList items={fr.phishing.report} />
    </PublicPage>
  );
}

export function MessagePage({ ctx, title, message }: { ctx: PageContext; title: string; message: string }) {
  return (
    <PublicPage ctx={ctx} title={title} back={fr.errors.backHome}>
      <p>{message}</p>
    </PublicPage>
  );
}
