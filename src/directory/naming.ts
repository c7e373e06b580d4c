/**
 * How usernames and addresses are made from names (the seed: "1ère lettre du prénom suivie du nom
 * de famille"). Pure functions; collision handling takes the set of names already issued.
 */
import { foldToAscii } from "../shared/fold.js";

/** Folding lives in shared/ (the people search folds names the same way); re-exported for the callers here. */
export { foldToAscii };

/** The first given name: "Marie Claire" → "Marie"; "Jean-Pierre" stays whole. */
export function firstGivenName(prenom: string): string {
  return prenom.trim().split(/\s+/)[0] ?? "";
}

export const USERNAME_BASE_MAX = 20;

/** The username before collision handling: first letter of the first given name + nom, a–z only. */
export function usernameBase(prenom: string, nom: string): string | null {
  const first = foldToAscii(firstGivenName(prenom)).replace(/[^a-z]/g, "");
  const last = foldToAscii(nom).replace(/[^a-z]/g, "");
  if (first === "" || last === "") return null;
  return `${first.charAt(0)}${last}`.slice(0, USERNAME_BASE_MAX);
}

/**
 * Spaces and hyphens become one `-`. "Hyphens" include the Unicode ones word processors and HR tools
 * produce (‐ ‑ ‒ – — ―, minus sign), which would otherwise glue the two parts of a name together.
 */
function addressPart(value: string): string {
  // Apostrophes go before folding: NFKD would turn the spacing acute accent (´, typed for ’) into a space.
  return foldToAscii(value.replace(/['’‘ʼ`´]/g, ""))
    .replace(/[\s\-\u2010-\u2015\u2212]+/g, "-")
    .replace(/[^a-z-]/g, "")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
}

/**
 * RFC 5321 §4.5.3.1.1: a local part is at most 64 octets. After folding it is ASCII (a–z, `.`, `-`),
 * so octets are characters. The limit includes the collision number: the 2 of jean.dupont2.
 */
export const ADDRESS_LOCAL_MAX = 64;
/** RFC 5321 §4.5.3.1.3 allows a path of 256 octets with its angle brackets: 254 for the address. */
export const ADDRESS_MAX = 254;
/** A prénom up to this length stays whole when a long name must be cut; only the nom is shortened. */
const HEAD_KEEP = 32;
/** When the prénom itself is cut, the nom keeps at least this much (or half of a small limit). */
const TAIL_KEEP = 16;
/** Smallest local part the shortening can make (`a.b`). */
const LOCAL_MIN = 3;

/**
 * `value` cut to at most `room` characters, never ending with `-` or `.`. Prefers ending on a whole
 * word (at a hyphen or dot) when that gives up at most a third of the room; else cuts in the word.
 */
function cutWords(value: string, room: number): string {
  if (value.length <= room) return value;
  const hard = value.slice(0, room);
  // value[room] is the first character left out: a separator there means the hard cut is on a boundary.
  const boundary = Math.max(hard.lastIndexOf("-"), hard.lastIndexOf("."), /[-.]/.test(value.charAt(room)) ? room : -1);
  const cut = boundary > 0 && room - boundary <= Math.floor(room / 3) ? hard.slice(0, boundary) : hard;
  return cut.replace(/[-.]+$/, "");
}

/**
 * A local part (`prenom.nom`, or `ext.prenom.nom`) shortened to at most `max` characters: the part
 * before the last dot (the prénom) is kept whole up to 32 characters, the nom gets the rest, both cut
 * at a hyphen when possible. Short local parts come back unchanged.
 */
export function fitLocalPart(local: string, max: number = ADDRESS_LOCAL_MAX): string {
  if (!Number.isInteger(max) || max < LOCAL_MIN) throw new RangeError(`no local part fits in ${max} characters`);
  if (local.length <= max) return local;
  const dot = local.lastIndexOf(".");
  if (dot <= 0 || dot === local.length - 1) return cutWords(local, max);
  const head = local.slice(0, dot);
  const tail = local.slice(dot + 1);
  // The prénom keeps what the nom does not need, and at least HEAD_KEEP while the nom keeps TAIL_KEEP.
  const headKeep = Math.min(HEAD_KEEP, max - 1 - Math.min(TAIL_KEEP, Math.floor((max - 1) / 2)));
  const shortHead = cutWords(head, Math.max(headKeep, max - 1 - tail.length));
  return `${shortHead}.${cutWords(tail, max - 1 - shortHead.length)}`.replace(/[-.]+$/, "");
}

/**
 * The address local part before collision handling: `prenom.nom`, shortened to `maxLength`
 * (64 by default) when the names are very long — see `fitLocalPart`.
 */
export function addressLocalBase(prenom: string, nom: string, maxLength: number = ADDRESS_LOCAL_MAX): string | null {
  const first = addressPart(firstGivenName(prenom));
  const last = addressPart(nom);
  if (first === "" || last === "") return null;
  return fitLocalPart(`${first}.${last}`, maxLength);
}

/**
 * The longest local part an address on `domain` may have: 64, less when the domain is so long that
 * the whole address would pass 254 octets.
 */
export function addressLocalMax(domain: string): number {
  return Math.min(ADDRESS_LOCAL_MAX, ADDRESS_MAX - 1 - domain.length);
}

/**
 * The `n`th candidate local part for `localBase` (n ≥ 1): the base itself, then base2, base3, …, the
 * base shortened first so that base and number together stay within `maxLength`
 * (jean-pascal.de-la-rochefoucauld-montbel-saint-georges-darvillars, 64 characters, has for its
 * homonyms jean-pascal.de-la-rochefoucauld-montbel-saint-georges2, …3, …).
 * For a base made by `addressLocalBase` (letters, `-`, `.`, ending with a letter), candidates for
 * distinct n are distinct: the number is the only digits at the end.
 */
export function addressCandidate(localBase: string, n: number, maxLength: number = ADDRESS_LOCAL_MAX): string {
  if (n <= 1) return fitLocalPart(localBase, maxLength);
  const suffix = String(n);
  return `${fitLocalPart(localBase, maxLength - suffix.length)}${suffix}`;
}

/**
 * `base`, or `base2`, `base3`, … : the first one `isTaken` says is free. No length limit: it serves
 * usernames, whose base is at most USERNAME_BASE_MAX characters and which may grow by their number
 * (mdelarochefoucauldli2, ext-jmartin12); a username has no protocol limit to respect.
 */
export function firstFree(base: string, isTaken: (candidate: string) => boolean): string {
  if (!isTaken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}${n}`;
    if (!isTaken(candidate)) return candidate;
  }
}

/**
 * Collision suffix for addresses goes on the local part: jean.dupont2@domain. The local part stays
 * within `maxLocal` (64, or less for a very long domain): a long base is shortened before its number
 * is added (`addressCandidate`). Addresses already issued are never changed: `isTaken` answers from
 * every address ever given, so a new one never takes an old one's place.
 */
export function firstFreeAddress(
  localBase: string,
  domain: string,
  isTaken: (address: string) => boolean,
  maxLocal: number = addressLocalMax(domain),
): string {
  for (let n = 1; ; n++) {
    const address = `${addressCandidate(localBase, n, maxLocal)}@${domain}`;
    if (!isTaken(address)) return address;
  }
}
