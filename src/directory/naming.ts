/**
 * How usernames and addresses are made from names (the seed: "1ère lettre du prénom suivie du nom
 * de famille"). Pure functions; collision handling takes the set of names already issued.
 */

const SPECIAL_FOLDS: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

/**
 * Lowercase ASCII: diacritics stripped, ligatures and a few letters spelled out. NFKD (not NFD) so
 * that compatibility characters fold too: ﬁ → fi, ĳ → ij, fullwidth letters → ASCII.
 */
export function foldToAscii(value: string): string {
  return value
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (ch) => SPECIAL_FOLDS[ch] ?? ch)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "");
}

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

/** The address local part before collision handling: `prenom.nom`. */
export function addressLocalBase(prenom: string, nom: string): string | null {
  const first = addressPart(firstGivenName(prenom));
  const last = addressPart(nom);
  if (first === "" || last === "") return null;
  return `${first}.${last}`;
}

/** `base`, or `base2`, `base3`, … : the first one `isTaken` says is free. */
export function firstFree(base: string, isTaken: (candidate: string) => boolean): string {
  if (!isTaken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}${n}`;
    if (!isTaken(candidate)) return candidate;
  }
}

/** Collision suffix for addresses goes on the local part: jean.dupont2@domain. */
export function firstFreeAddress(localBase: string, domain: string, isTaken: (address: string) => boolean): string {
  const local = firstFree(localBase, (candidate) => isTaken(`${candidate}@${domain}`));
  return `${local}@${domain}`;
}
