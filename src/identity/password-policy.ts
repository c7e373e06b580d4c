/**
 * The password policy shared by the forced change after a first sign-in and by the assistance:
 * 12 to 128 code points, no composition rule, nothing personal (username, names,
 * NUMEN, date of birth), not a common password, a zxcvbn score of at least 3, not the current
 * password. `check` names every failed rule so the form can list them next to the field.
 *
 * zxcvbn-ts and its dictionaries (≈ 136,000 words, decompressed when the packages load; ≈ 0.35 s in
 * all with the factory and the common-password set) are loaded on first use, once per process:
 * `sesame` commands that never check a password do not pay for them. Call `warmUpPasswordPolicy()`
 * at server start to take that cost before the first request.
 */
import { createRequire } from "node:module";
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { foldToAscii } from "../directory/naming.js";
import { PASSWORD_RULES, type PasswordRule } from "../shared/errors.js";

// Every rule, in the stable order `check` reports them: declared with the error that carries them
// (PASSWORD_TOO_WEAK's details, shared/errors.ts).
export { PASSWORD_RULES, type PasswordRule };

export interface PasswordPolicyOptions {
  /** Minimum length in Unicode code points, after NFC. */
  minLength: number;
  /** Maximum length in Unicode code points, after NFC. */
  maxLength: number;
}

export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicyOptions> = Object.freeze({
  minLength: 12,
  maxLength: 128,
});

/** zxcvbn scores below this are refused (TOO_GUESSABLE). */
export const MIN_ZXCVBN_SCORE = 3;

export interface PasswordContext {
  username?: string;
  nom?: string;
  prenom?: string;
  /** YYYY-MM-DD */
  birthDate?: string;
  /** true when the password contains the holder's NUMEN; the NUMEN itself is never known in clear. */
  containsNumen?: (password: string) => boolean;
  /** true when the password equals the current one (argon2 verify, async). */
  isCurrentPassword?: (password: string) => Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// zxcvbn-ts, loaded lazily

/**
 * zxcvbn's l33t matcher tries up to this many substituted variants of the password, each matched
 * against every dictionary. The library default (100) costs about 50 ms for a typical 12–20
 * character password and over a second for 128 random characters; 10 keeps a typical check near
 * 10 ms and changed the accept/refuse verdict of 2 out of 400 generated l33t passwords.
 */
const L33T_MAX_SUBSTITUTIONS = 10;
/**
 * zxcvbn scores only the first this many UTF-16 units (its own `maxLength` option, default 256):
 * matching is roughly quadratic in the length. Scoring a prefix is conservative — a password is
 * never judged stronger than its first 64 characters.
 */
const ZXCVBN_SCORED_LENGTH = 64;

interface Engine {
  readonly zxcvbn: ZxcvbnFactory;
  /** The common-password lists, lowercased (NFC), for exact matching. */
  readonly common: ReadonlySet<string>;
}

/** The dictionaries whose entries, on their own, are refused as COMMON_PASSWORD. */
const COMMON_PASSWORD_LISTS = ["passwords-common", "commonWords-fr"] as const;

let engine: Engine | undefined;

function getEngine(): Engine {
  if (engine) return engine;
  // Synchronous and lazy: `score` is synchronous, and a static import would decompress the
  // dictionaries whenever this module is imported. The packages ship CommonJS builds.
  const require = createRequire(import.meta.url);
  const core = require("@zxcvbn-ts/core") as typeof import("@zxcvbn-ts/core");
  const common = require("@zxcvbn-ts/language-common") as typeof import("@zxcvbn-ts/language-common");
  const fr = require("@zxcvbn-ts/language-fr") as typeof import("@zxcvbn-ts/language-fr");
  const dictionary: Record<string, string[]> = { ...common.dictionary, ...fr.dictionary };
  const zxcvbn = new core.ZxcvbnFactory({
    dictionary,
    graphs: common.adjacencyGraphs,
    translations: fr.translations,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
    maxLength: ZXCVBN_SCORED_LENGTH,
  });
  const commonSet = new Set<string>();
  for (const name of COMMON_PASSWORD_LISTS) {
    for (const word of dictionary[name] ?? []) commonSet.add(word.normalize("NFC").toLowerCase());
  }
  engine = { zxcvbn, common: commonSet };
  return engine;
}

/** Loads zxcvbn-ts and its dictionaries now rather than on the first check (idempotent). */
export function warmUpPasswordPolicy(): void {
  getEngine();
}

/** How many distinct entries the COMMON_PASSWORD lists hold (for diagnostics and tests). */
export function commonPasswordCount(): number {
  return getEngine().common.size;
}

// ---------------------------------------------------------------------------------------------
// Personal data

const NUMEN_SHAPE = /^\d{2}[A-Za-z]\d{7}[A-Za-z]{3}$/;
const NUMEN_LENGTH = 13;

/**
 * Does `password` contain a NUMEN-shaped substring (2 digits, 1 letter, 7 digits, 3 letters; any
 * case; white space ignored) for which `matches` is true? `matches` receives the uppercased
 * candidate, typically a keyed-hash comparison with the stored NUMEN. Only ASCII letters and
 * digits form a candidate (as in `normalizeNumen`): "ß" or "ı" never turn into NUMEN letters.
 */
export function containsNumenLike(password: string, matches: (numenUpper: string) => boolean): boolean {
  const compact = password.replace(/\s+/g, "");
  const seen = new Set<string>();
  for (let i = 0; i + NUMEN_LENGTH <= compact.length; i += 1) {
    const window = compact.slice(i, i + NUMEN_LENGTH);
    if (!NUMEN_SHAPE.test(window)) continue;
    const candidate = window.toUpperCase();
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    if (matches(candidate)) return true;
  }
  return false;
}

/** Case- and accent-insensitive form used for every "contains" comparison. */
function fold(value: string): string {
  return foldToAscii(value.normalize("NFC"));
}

/** Letters and digits only: "J. Dupont" → "jdupont". */
function compact(folded: string): string {
  return folded.replace(/[^\p{L}\p{N}]/gu, "");
}

const MIN_PART_LENGTH = 3;

/** The parts of a name worth refusing: "Jean-Pierre" → jean, pierre; "Le Gall" → gall. */
function nameParts(name: string | undefined): string[] {
  if (!name) return [];
  return fold(name)
    .split(/[^\p{L}]+/u)
    .filter((part) => [...part].length >= MIN_PART_LENGTH);
}

/** The username as typed by its holder, and without the digits added to tell namesakes apart. */
function usernameForms(username: string | undefined): string[] {
  if (!username) return [];
  const local = compact(fold(username.split("@")[0] ?? ""));
  const forms = new Set([local, local.replace(/\d+$/, "")]);
  return [...forms].filter((form) => [...form].length >= MIN_PART_LENGTH);
}

interface BirthDate {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

function parseIsoDate(value: string | undefined): BirthDate | null {
  const m = value ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim()) : null;
  if (!m) return null;
  const [, year = "", month = "", day = ""] = m;
  return { year, month, day };
}

const DATE_SEPARATORS = ["", "/", "-", ".", " ", "_"];

/**
 * The written forms of a date of birth that are refused. Every form with the full year (JJMMAAAA,
 * JJ/MM/AAAA, JJ-MM-AAAA, JJ.MM.AAAA, AAAA-MM-JJ, AAAAMMJJ, …) contains AAAA, which is refused on
 * its own; the two-digit-year forms are listed with their separators.
 */
function birthDateForms(date: BirthDate): string[] {
  const yy = date.year.slice(2);
  const forms = new Set([date.year]);
  for (const sep of DATE_SEPARATORS) forms.add([date.day, date.month, yy].join(sep));
  return [...forms];
}

/** What zxcvbn is told about the holder, so that it counts these as cheap guesses. */
function userInputs(context: PasswordContext | undefined): string[] {
  if (!context) return [];
  const inputs = new Set<string>();
  for (const value of [context.username, context.nom, context.prenom]) {
    if (!value) continue;
    inputs.add(value.normalize("NFC").toLowerCase());
    inputs.add(fold(value));
  }
  for (const part of [...nameParts(context.nom), ...nameParts(context.prenom), ...usernameForms(context.username)]) {
    inputs.add(part);
  }
  const date = parseIsoDate(context.birthDate);
  if (date) {
    const { year, month, day } = date;
    const yy = year.slice(2);
    for (const form of [
      year,
      `${day}${month}`,
      `${day}${month}${year}`,
      `${day}${month}${yy}`,
      `${year}${month}${day}`,
    ]) {
      inputs.add(form);
    }
  }
  return [...inputs].filter((input) => input !== "");
}

function codePointLength(value: string): number {
  return Array.from(value).length;
}

// ---------------------------------------------------------------------------------------------

export class PasswordPolicy {
  readonly options: PasswordPolicyOptions;

  constructor(options: Partial<PasswordPolicyOptions> = {}) {
    const minLength = options.minLength ?? DEFAULT_PASSWORD_POLICY.minLength;
    const maxLength = options.maxLength ?? DEFAULT_PASSWORD_POLICY.maxLength;
    if (!Number.isInteger(minLength) || minLength < 1) {
      throw new RangeError(`password minLength must be a positive integer (got ${minLength})`);
    }
    if (!Number.isInteger(maxLength) || maxLength < minLength) {
      throw new RangeError(`password maxLength must be an integer ≥ minLength (got ${maxLength})`);
    }
    this.options = Object.freeze({ minLength, maxLength });
  }

  /**
   * Every failed rule, in the order of `PASSWORD_RULES`; [] when the password is acceptable.
   * A password over the maximum length is neither scored by zxcvbn nor compared with the current
   * one (argon2): it is refused anyway, and both would cost time for nothing. `isCurrentPassword`
   * runs (on libuv's threads, for argon2) while zxcvbn scores the password; its errors, and those of
   * `containsNumen`, are not swallowed.
   */
  async check(password: string, context: PasswordContext, confirmation?: string): Promise<PasswordRule[]> {
    const failed = new Set<PasswordRule>();
    const nfc = password.normalize("NFC");
    const length = codePointLength(nfc);
    const tooLong = length > this.options.maxLength;
    if (length < this.options.minLength) failed.add("TOO_SHORT");
    if (tooLong) failed.add("TOO_LONG");

    let current: Promise<boolean> | undefined;
    if (!tooLong && context.isCurrentPassword) {
      try {
        current = context.isCurrentPassword(password);
      } catch (error) {
        current = Promise.reject(error);
      }
      // Awaited below; this only keeps a rejection from being reported as unhandled meanwhile.
      current.catch(() => undefined);
    }

    const folded = fold(nfc);
    const foldedCompact = compact(folded);
    if (usernameForms(context.username).some((u) => folded.includes(u) || foldedCompact.includes(u))) {
      failed.add("CONTAINS_USERNAME");
    }
    if ([...nameParts(context.nom), ...nameParts(context.prenom)].some((part) => folded.includes(part))) {
      failed.add("CONTAINS_NAME");
    }
    if (context.containsNumen?.(password)) failed.add("CONTAINS_NUMEN");
    const date = parseIsoDate(context.birthDate);
    if (date && birthDateForms(date).some((form) => folded.includes(form))) {
      failed.add("CONTAINS_BIRTH_DATE");
    }

    if (!tooLong) {
      const { zxcvbn, common } = getEngine();
      if (common.has(nfc.toLowerCase())) failed.add("COMMON_PASSWORD");
      if (zxcvbn.check(nfc, userInputs(context)).score < MIN_ZXCVBN_SCORE) failed.add("TOO_GUESSABLE");
    }

    if (current && (await current)) failed.add("SAME_AS_CURRENT");
    // Exact comparison: the password is hashed as typed, so two spellings of "é" are two passwords.
    if (confirmation !== undefined && confirmation !== password) failed.add("CONFIRMATION_MISMATCH");

    return PASSWORD_RULES.filter((rule) => failed.has(rule));
  }

  /** 0..4 zxcvbn score, with the context as user inputs (for a strength meter). */
  score(password: string, context?: PasswordContext): number {
    return getEngine().zxcvbn.check(password.normalize("NFC"), userInputs(context)).score;
  }
}
