import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { fr } from "../i18n/fr.js";
import { LinkList } from "./components.js";

export interface PageContext {
  readonly academie: string;
  readonly mailDomain: string;
  readonly csrfToken: string;
  /** The client script's URL (content-hashed), when it is built. */
  readonly scriptUrl?: string;
  /** The proof-of-work widget's script, loaded by pages that carry a challenge. */
  readonly challengeScriptUrl?: string;
  /** For the session-expiry warning: ms left, when a session is open. */
  readonly sessionRemainingMs?: number;
}

export interface PageProps {
  readonly title: string;
  readonly ctx: PageContext;
  /** Prefixes the title with "Erreur : " when the page shows form errors (RGAA 8.6). */
  readonly hasErrors?: boolean;
  /** The page carries an ALTCHA challenge: load the widget. */
  readonly withChallenge?: boolean;
  /** More of the top bar after the brand (the webmail's menu button, search and account). */
  readonly header?: ComponentChildren;
  /** A class on `<body>` (the webmail's pages use the full width). */
  readonly bodyClass?: string;
  readonly children: ComponentChildren;
}

export function Layout({ title, ctx, hasErrors, withChallenge, header, bodyClass, children }: PageProps) {
  return (
    <html lang="fr">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${hasErrors ? fr.errorPrefix : ""}${title} — ${fr.appName}, ${ctx.academie}`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/static/app.css" />
        {ctx.scriptUrl ? <script type="module" src={ctx.scriptUrl} /> : null}
        {withChallenge && ctx.challengeScriptUrl ? (
          <>
            <link rel="stylesheet" href="/static/vendor/altcha.css" />
            <script type="module" src={ctx.challengeScriptUrl} />
          </>
        ) : null}
      </head>
      <body
        class={bodyClass}
        data-csrf={ctx.csrfToken}
        data-session-remaining={ctx.sessionRemainingMs !== undefined ? String(ctx.sessionRemainingMs) : undefined}
      >
        <a class="skip-link" href="#contenu">
          {fr.skipLink}
        </a>
        <header class="site-header">
          <p class="brand">
            <span class="brand-mark" aria-hidden="true">
              ✉
            </span>{" "}
            <span class="brand-domain">{ctx.mailDomain}</span>
            <span class="brand-name"> — {ctx.academie}</span>
          </p>
          {header}
        </header>
        <main id="contenu" tabIndex={-1}>
          {children}
        </main>
        <footer class="site-footer">
          <LinkList
            links={[
              ["/aide", fr.footer.help],
              ["/filoutage", fr.footer.phishing],
              ["/assistance", fr.footer.assistance],
            ]}
          />
        </footer>
        {ctx.sessionRemainingMs !== undefined ? (
          <div
            class="session-warning"
            id="session-warning"
            role="alertdialog"
            aria-modal="false"
            aria-labelledby="session-warning-title"
            aria-describedby="session-warning-text"
            hidden
          >
            <h2 id="session-warning-title">{fr.session.warningTitle}</h2>
            <p
              id="session-warning-text"
              data-one={fr.session.warningText("1 minute")}
              data-many={fr.session.warningText("{n} minutes")}
            />
            <button type="button" id="session-extend">
              {fr.session.extend}
            </button>
          </div>
        ) : null}
      </body>
    </html>
  );
}

/** Renders a page to an HTML document string. */
export function renderPage(node: VNode): string {
  return `<!doctype html>${renderToString(node)}`;
}
