/**
 * Folding text to lowercase ASCII: how usernames and addresses are made from names
 * (directory/naming.ts) and how names are searched (storage/search-text.ts). Pure.
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
