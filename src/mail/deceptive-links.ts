/**
 * Links that lie, and the links of a message that warrants care.
 *
 * - `deceptiveDestination`: a link whose visible text shows a web address or a domain
 *   (`www.ac-lyon.fr`, `https://paypal.com/…`, `support@banque.fr`) other than where it really
 *   goes. Domains are compared by their registrable part (tldts, ICANN section of the Public Suffix
 *   List), in ASCII (punycode) form: `https://news.example.com` shown over `https://example.com/x`
 *   is honest, `paypal.com` over `https://paypal.com.evil.example` or over `https://xn--pypal-4ve.com`
 *   is not. The HTML sanitizer marks such links (html-sanitizer.ts).
 * - `isFlagged`: the sender warnings that send every link of a message through the webmail's
 *   « Vous allez quitter la messagerie » page.
 * - `textLinks`, `normalizeLink`: the http(s) links of a plain-text body, and the one form in which
 *   links are compared (what the interstitial page accepts is a link of the message, nothing else).
 */
import { domainToUnicode } from "node:url";
import { parse } from "tldts";
import type { SenderWarning } from "./mail.types.js";

/** The warnings after which the links of a message go through the interstitial page. */
const FLAGGING: ReadonlySet<SenderWarning> = new Set(["lookalike", "unverified", "impersonation"]);

/** Whether a message's links go through « Vous allez quitter la messagerie » first. */
export function isFlagged(warnings: readonly SenderWarning[]): boolean {
  return warnings.some((w) => FLAGGING.has(w));
}

/** Web addresses in plain text, as the reading view makes them links. */
const TEXT_LINK = /https?:\/\/[^\s<>"')\]]+/g;

/** Splits a plain text into text and links: odd indexes are the links (`String#split` with a group). */
export function splitTextLinks(text: string): string[] {
  return text.split(/(https?:\/\/[^\s<>"')\]]+)/g);
}

/** The http(s) links of a plain-text body, normalized (`normalizeLink`). */
export function textLinks(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(TEXT_LINK)) {
    const link = normalizeLink(match[0]);
    if (link !== null) out.push(link);
  }
  return out;
}

/** An absolute http(s) URL in its serialized form (WHATWG URL: punycode host, escapes), or null. */
export function normalizeLink(raw: string): string | null {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The registrable domain of a host name (ASCII, lower case): `www.paypal.com` → `paypal.com`,
 * `a.b.example.co.uk` → `example.co.uk`. An IP address, or a host under no known public suffix, is
 * its own domain.
 */
export function registrableDomain(hostname: string): string {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  const parsed = parse(host, { allowPrivateDomains: false, extractHostname: false });
  return parsed.domain ?? host;
}

/** The Unicode form of an ASCII (punycode) domain, or null when it is the same (or not valid IDNA). */
export function unicodeDomain(ascii: string): string | null {
  const unicode = domainToUnicode(ascii);
  return unicode !== "" && unicode !== ascii ? unicode : null;
}

/** What the reader is shown of a domain: its Unicode form, with the ASCII form beside it when they differ. */
export function domainForReader(ascii: string): string {
  const unicode = unicodeDomain(ascii);
  return unicode === null ? ascii : `${unicode} (${ascii})`;
}

/** At most this much of a link's text is read (link texts are short; a huge one is not a domain). */
const MAX_TEXT_SCANNED = 2_000;
/** Characters that separate a domain or address from the words around it. */
const SEPARATORS = /[\s<>"'«»()[\]{}|,;]+/u;
/** A host name as written in text: labels of letters, digits and hyphens, at least one dot. */
const HOST_AS_TEXT = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+$/u;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The ASCII host a word of a link's text shows, or null when the word shows no web address or domain. */
function hostShownBy(word: string): string | null {
  const token = word.replace(/^[.:!?…*_-]+|[.:!?…*_-]+$/gu, "");
  if (token === "") return null;
  if (/^https?:\/\//i.test(token)) {
    try {
      return new URL(token).hostname || null;
    } catch {
      return null;
    }
  }
  // An address (`support@banque.fr`) shows its domain; a path or port after a host is ignored.
  const at = token.lastIndexOf("@");
  const afterAt = at >= 0 && !token.slice(0, at).includes("/") ? token.slice(at + 1) : token;
  const host = afterAt.split(/[/?#:]/, 1)[0] ?? "";
  if (host.length > 253 || !HOST_AS_TEXT.test(host)) return null;
  let ascii: string;
  try {
    ascii = new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
  if (IPV4.test(host)) return ascii;
  // Only a name under a real top-level domain: `fichier.txt`, `v1.2` or `M.Dupont` show no domain.
  const parsed = parse(ascii, { allowPrivateDomains: false, extractHostname: false });
  return parsed.isIcann === true && parsed.domain !== null ? ascii : null;
}

/** The registrable domains a link's visible text shows (none for « Cliquez ici »). */
export function domainsShownBy(text: string): string[] {
  const domains = new Set<string>();
  for (const word of text.slice(0, MAX_TEXT_SCANNED).split(SEPARATORS)) {
    const host = hostShownBy(word);
    if (host !== null) domains.add(registrableDomain(host));
  }
  return [...domains];
}

/**
 * Where a link really goes when its visible text shows another web address or domain: the
 * registrable domain of its href (ASCII), else null (the text shows no domain, or only the href's
 * own). Only http(s) hrefs are judged.
 */
export function deceptiveDestination(text: string, href: string): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const real = registrableDomain(url.hostname);
  return domainsShownBy(text).some((shown) => shown !== real) ? real : null;
}

/** A link cut around its registrable domain, for a page that highlights where it goes. */
export interface DestinationParts {
  /** Scheme, user information and the subdomains, up to the registrable domain. */
  readonly before: string;
  /** The registrable domain (ASCII). */
  readonly domain: string;
  /** Port, path, query and fragment. */
  readonly after: string;
}

/** `https://login.paypal.com.evil.example/x` → `https://login.paypal.com.` · `evil.example` · `/x`. */
export function destinationParts(href: string): DestinationParts {
  const url = new URL(href);
  const domain = registrableDomain(url.hostname);
  const host = url.hostname;
  const sub = host.endsWith(domain) ? host.slice(0, host.length - domain.length) : "";
  const userinfo = url.username === "" ? "" : `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
  return {
    before: `${url.protocol}//${userinfo}${sub}`,
    domain: host.endsWith(domain) ? domain : host,
    after: `${url.port === "" ? "" : `:${url.port}`}${url.pathname}${url.search}${url.hash}`,
  };
}
