/**
 * The webmail's addresses that routes and views share (one table, imported by both), and the one
 * guard on where a form may send a person back to (`safeBack`: never another site).
 */
import type { Folder } from "../mail/mail.types.js";

/** The special folders' own addresses (the inbox is /mail itself); the user's folders go by id. */
export const ROLE_PATHS = {
  inbox: "/mail",
  drafts: "/mail/brouillons",
  sent: "/mail/envoyes",
  junk: "/mail/indesirables",
  trash: "/mail/corbeille",
} as const;

export function folderUrl(folder: Pick<Folder, "id" | "role">): string {
  return folder.role ? ROLE_PATHS[folder.role] : `/mail/dossiers/${folder.id}`;
}

export function messageUrl(id: number): string {
  return `/mail/messages/${id}`;
}

/** `target` with these query parameters set (replacing any of the same name). */
export function withParams(target: string, params: Record<string, string>): string {
  const url = new URL(target, "http://sesame.invalid");
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}

/** `target` without the query parameter `name`. */
export function withoutParam(target: string, name: string): string {
  const url = new URL(target, "http://sesame.invalid");
  url.searchParams.delete(name);
  return `${url.pathname}${url.search}`;
}

/** The notices a page shows after a redirect: not carried over to the next one. */
const NOTICE_PARAMS = ["fait", "n", "erreur", "mot-de-passe-modifie"];

/**
 * A page of the webmail: `/mail`, then path segments of ASCII letters, digits, `_`, `-` (no `.`,
 * so no `..`; no `\`, `%`, `:` or control character), then maybe a query of plain characters; and
 * nowhere `//`. Anything else (`//evil`, `/\evil`, `https://evil`, `/%2F%2Fevil`, `/mail/../x`,
 * `/maildrop`, a line break) is refused.
 */
const WEBMAIL_PAGE = /^\/mail(?:\/[\w/-]*)?(?:\?[\w.~%&=+-]*)?$/;

/**
 * The open-redirect guard: where a form comes back to (a `retour` field), when it is one of the
 * webmail's pages, without its old notices; else `fallback`.
 */
export function safeBack(value: string, fallback = "/mail"): string {
  if (!WEBMAIL_PAGE.test(value) || value.includes("//")) return fallback;
  const url = new URL(value, "http://sesame.invalid");
  for (const name of NOTICE_PARAMS) url.searchParams.delete(name);
  return `${url.pathname}${url.search}`;
}

/**
 * Where mail clients find their settings: Thunderbird's autoconfig (on the mail domain's well-known
 * path, and on `autoconfig.<domain>`), Outlook's Autodiscover (both spellings clients use), and the
 * account page's Apple profile (signed in).
 */
export const MAIL_CLIENT_PATHS = {
  autoconfig: ["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"],
  autodiscover: ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"],
  appleProfile: "/assistance/mon-compte/messagerie.mobileconfig",
  /** The same profile from the webmail's Paramètres (the webmail's session). */
  webmailAppleProfile: "/mail/parametres/messagerie.mobileconfig",
} as const;
