/**
 * The académie's identifier rules: NUMEN, UAI, dates of birth. Pure functions, no I/O.
 */
import { DomainError } from "../shared/errors.js";

const NUMEN_RE = /^\d{2}[A-Z]\d{7}[A-Z]{3}$/;

/**
 * Uppercases and removes spaces; returns null when the result is not a NUMEN. Only ASCII letters and
 * digits are accepted before uppercasing: "ß".toUpperCase() is "SS" and "ı" gives "I", which would
 * otherwise turn a mistyped value into someone's NUMEN.
 */
export function normalizeNumen(raw: string): string | null {
  const compact = raw.replace(/\s+/g, "");
  if (!/^[0-9A-Za-z]+$/.test(compact)) return null;
  const value = compact.toUpperCase();
  return NUMEN_RE.test(value) ? value : null;
}

export function parseNumen(raw: string): string {
  const value = normalizeNumen(raw);
  if (value === null) {
    throw new DomainError(
      "INVALID_NUMEN",
      "NUMEN must be 13 characters: 2 digits, 1 letter, 7 digits, 3 letters (e.g. 12A3456789ABC)",
    );
  }
  return value;
}

const UAI_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ";

export function uaiKey(digits: string): string {
  return UAI_KEYS.charAt(Number.parseInt(digits, 10) % 23);
}

/**
 * A UAI is 7 digits and a key letter: key = "ABCDEFGHJKLMNPRSTUVWXYZ"[number % 23]. The key may be
 * typed in lowercase; it is checked as ASCII before uppercasing ("ſ".toUpperCase() is "S").
 */
export function isValidUai(raw: string): boolean {
  const m = /^(\d{7})([A-Za-z])$/.exec(raw.trim());
  return m !== null && uaiKey(m[1] as string) === (m[2] as string).toUpperCase();
}

export function parseUai(raw: string): string {
  if (!isValidUai(raw)) {
    throw new DomainError("INVALID_UAI", "UAI must be 7 digits followed by its key letter (e.g. 0690026D)");
  }
  return raw.trim().toUpperCase();
}

/** A calendar date as `YYYY-MM-DD`. */
export type IsoDate = string;

function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/**
 * Parses a date of birth written JJ/MM/AAAA (the HR export and the forms), or AAAA-MM-JJ.
 * Refuses impossible dates (31/02), dates before 1900 and dates in the future.
 */
export function parseBirthDate(raw: string, today: Date): IsoDate {
  const value = raw.trim();
  let y: number;
  let m: number;
  let d: number;
  const fr = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (fr) {
    d = Number(fr[1]);
    m = Number(fr[2]);
    y = Number(fr[3]);
  } else if (iso) {
    y = Number(iso[1]);
    m = Number(iso[2]);
    d = Number(iso[3]);
  } else {
    throw new DomainError("INVALID_DATE", `date must be written DD/MM/YYYY (got "${value}")`);
  }
  if (!isRealDate(y, m, d)) {
    throw new DomainError("INVALID_DATE", `impossible date "${value}"`);
  }
  const isoValue = `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  if (y < 1900 || isoValue > today.toISOString().slice(0, 10)) {
    throw new DomainError("INVALID_DATE", `date out of range "${value}"`);
  }
  return isoValue;
}

/** `YYYY-MM-DD` → `JJ/MM/AAAA`, for display. */
export function formatFrenchDate(iso: IsoDate): string {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/** Dot-atom local part (no dot first, last or doubled; no space, control or special character). */
const EMAIL_LOCAL_RE = /^[^\s\p{Cc}@<>()[\]\\,;:".]+(?:\.[^\s\p{Cc}@<>()[\]\\,;:".]+)*$/u;
const EMAIL_DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const utf8 = new TextEncoder();

/** An address a mail can be sent to: trimmed, domain lowercased, local part kept as typed. */
export function parseEmail(raw: string): string {
  const value = raw.trim();
  const at = value.lastIndexOf("@");
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (
    at < 1 ||
    value.length > 254 ||
    utf8.encode(local).length > 64 ||
    !EMAIL_LOCAL_RE.test(local) ||
    !EMAIL_DOMAIN_RE.test(domain)
  ) {
    throw new DomainError("INVALID_EMAIL", `not an e-mail address: ${JSON.stringify(value)}`);
  }
  return `${local}@${domain.toLowerCase()}`;
}
