import type { ComponentChildren } from "preact";
import { renderToString } from "preact-render-to-string";
import { fr } from "../i18n/fr.js";

export interface PageProps {
  readonly title: string;
  readonly academie: string;
  readonly children: ComponentChildren;
}

export function Layout({ title, academie, children }: PageProps) {
  return (
    <html lang="fr">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} — ${fr.appName}, ${academie}`}</title>
        <link rel="stylesheet" href="/static/app.css" />
      </head>
      <body>
        <a class="skip-link" href="#contenu">
          {fr.skipLink}
        </a>
        <header class="site-header">
          <p class="brand">
            <span class="brand-mark" aria-hidden="true">
              ✉
            </span>{" "}
            {academie}
          </p>
        </header>
        <main id="contenu" tabIndex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}

/** Renders a page to an HTML document string. */
export function renderPage(node: preact.VNode): string {
  return `<!doctype html>${renderToString(node)}`;
}
