/**
 * The helpdesk's person search, its pure parts: what a query is (a NUMEN, a UAI, an address, or
 * names and a username), how misspelt names are matched (trigram similarity, as PostgreSQL's
 * pg_trgm computes it, so that both databases rank alike), and the order of the hits. The queries
 * are in people-search.repository.ts, the steps in people-search.service.ts.
 */
import { DomainError } from "../shared/errors.js";
import { searchWords } from "../storage/search-text.js";
import type { Account, PersonStatus } from "./directory.types.js";
import { isValidUai, normalizeNumen } from "./identifiers.js";

/** Longer queries are refused (VALIDATION_FAILED, reason `too_long`): nobody types more. */
export const SEARCH_MAX_LENGTH = 200;
/** The most hits a search returns, whatever is asked. */
export const SEARCH_MAX_LIMIT = 100;
/** Words beyond these are ignored. */
export const SEARCH_MAX_WORDS = 6;
/**
 * A word this long or longer finds people by its own matches; a shorter one (« j » of « dupont j »)
 * only narrows what the longer ones found, or, alone, finds the first people by prefix.
 */
export const MIN_LEADING_WORD = 3;
/** Misspellings are looked for from this length (shorter words have too few trigrams to compare). */
export const MIN_FUZZY_WORD = 4;
/** pg_trgm's default `similarity_threshold`, which its `%` operator applies: the same on SQLite. */
export const SIMILARITY_THRESHOLD = 0.3;
/** Misspelt-name matches kept per word (the most similar terms of the directory). */
export const MAX_FUZZY_TERMS = 20;

/** A word's grade against a person's terms: exact, prefix, or 1 + closeness for a misspelling. */
export const EXACT = 3;
export const PREFIX = 2;
const FUZZY_BASE = 1;
/**
 * Added when a word of MIN_LEADING_WORD letters or more matches a term of the nom: at equal grades,
 * « martin » lists the Martins before the Martins of prénom (not for an initial: « fleury m » lists
 * Marie Fleury before Marc Fleury-Di Marco… in the order of their names).
 */
export const NOM_BONUS = 0.01;
/** Words up to this length are also compared with every term one edit away (the trigram index misses those in short names). */
export const MAX_EDIT_WORD = 15;

export type SearchQuery =
  | { readonly kind: "empty" }
  | { readonly kind: "numen"; readonly numen: string }
  | { readonly kind: "uai"; readonly uai: string }
  | { readonly kind: "address"; readonly address: string }
  | {
      readonly kind: "text";
      /** Folded words, at most SEARCH_MAX_WORDS. */
      readonly words: readonly string[];
      /** The query as a username or an address's beginning (one word of their characters), or null. */
      readonly account: string | null;
    };

/**
 * What a query asks for. Control and invisible characters count as spaces; a query longer than
 * SEARCH_MAX_LENGTH characters is refused. A NUMEN (any case, spaces ignored: the existing rule) is
 * looked up by its keyed hash only; a valid UAI lists its establishment; a query with `@` is an
 * address; anything else is names, and a username or an address's beginning when it can be one.
 */
export function parseSearchQuery(raw: string): SearchQuery {
  if (raw.length > SEARCH_MAX_LENGTH) {
    throw new DomainError("VALIDATION_FAILED", `search longer than ${SEARCH_MAX_LENGTH} characters`, {
      field: "q",
      reason: "too_long",
      max: SEARCH_MAX_LENGTH,
    });
  }
  const text = raw
    .replace(/[\p{C}\s]+/gu, " ")
    .trim()
    .normalize("NFC");
  if (text === "") return { kind: "empty" };
  const numen = normalizeNumen(text);
  if (numen !== null) return { kind: "numen", numen };
  if (isValidUai(text)) return { kind: "uai", uai: text.toUpperCase() };
  const lower = text.toLowerCase();
  if (!lower.includes(" ") && lower.includes("@")) return { kind: "address", address: lower };
  const words = searchWords(text).slice(0, SEARCH_MAX_WORDS);
  const account = /^[a-z0-9][a-z0-9._-]*$/.test(lower) ? lower : null;
  if (words.length === 0 && account === null) return { kind: "empty" };
  return { kind: "text", words, account };
}

/** pg_trgm's trigrams of one word: padded with two spaces before and one after, each once. */
export function trigrams(word: string): Set<string> {
  const padded = `  ${word} `;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  return out;
}

/** pg_trgm's `similarity` of two words: shared trigrams over all trigrams of both (0 to 1). */
export function trigramSimilarity(a: string, b: string): number {
  const ta = trigrams(a);
  const tb = trigrams(b);
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared / (ta.size + tb.size - shared);
}

/** A misspelt-name match's grade, for its closeness (0 to 1): between nothing and a prefix, higher when closer. */
export function fuzzyGrade(closeness: number): number {
  return FUZZY_BASE + Math.min(Math.round(closeness * 1000) / 1000, 0.98);
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/**
 * Every word one edit away from `word` (Damerau-Levenshtein distance 1, adjacent transpositions
 * included): a letter dropped, two neighbours swapped, a letter replaced or added. Words of up to
 * MAX_EDIT_WORD letters (at most 835 of them), none for longer ones: their trigrams survive one typo.
 * A short name with two letters swapped keeps too few trigrams (« fuare » and « faure » share 2 of 10).
 */
export function oneEditAway(word: string): string[] {
  if (word.length > MAX_EDIT_WORD) return [];
  const out = new Set<string>();
  for (let i = 0; i <= word.length; i++) {
    const head = word.slice(0, i);
    const tail = word.slice(i);
    if (tail !== "") out.add(head + tail.slice(1));
    if (tail.length > 1) out.add(`${head}${tail.charAt(1)}${tail.charAt(0)}${tail.slice(2)}`);
    for (const c of LETTERS) {
      if (tail !== "") out.add(head + c + tail.slice(1));
      out.add(head + c + tail);
    }
  }
  out.delete(word);
  return [...out];
}

/** A word typed, and the directory's terms it may be a misspelling of, with their grades (best first). */
export interface WordPlan {
  readonly word: string;
  readonly fuzzy: ReadonlyArray<readonly [term: string, grade: number]>;
}

/**
 * The terms close enough to `word` to be what was meant: among those the trigram index proposed,
 * a trigram similarity of at least SIMILARITY_THRESHOLD; and the terms one edit away (found by
 * `oneEditAway`), whose closeness is 1 − 1/length. Not the word itself nor the terms it begins (they
 * match better already). The MAX_FUZZY_TERMS closest, closest first.
 */
export function fuzzyTerms(
  word: string,
  trigramCandidates: Iterable<string>,
  oneEditTerms: Iterable<string> = [],
): WordPlan["fuzzy"] {
  if (word.length < MIN_FUZZY_WORD) return [];
  const oneEdit = new Set(oneEditTerms);
  const scored: Array<readonly [string, number]> = [];
  for (const term of new Set([...trigramCandidates, ...oneEdit])) {
    if (term.startsWith(word)) continue;
    const similarity = trigramSimilarity(word, term);
    const edited = oneEdit.has(term) ? 1 - 1 / Math.max(word.length, term.length) : 0;
    if (similarity >= SIMILARITY_THRESHOLD || edited > 0) scored.push([term, Math.max(similarity, edited)]);
  }
  scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return scored.slice(0, MAX_FUZZY_TERMS).map(([term, closeness]) => [term, fuzzyGrade(closeness)] as const);
}

/** The pg_trgm-style trigrams of a word as an FTS5 query: any of them (quoted: they hold spaces). */
export function trigramMatchQuery(word: string): string {
  return [...trigrams(word)].map((t) => `"${t.replace(/"/g, '""')}"`).join(" OR ");
}

/** The state of an account as the helpdesk tells it. */
export type AccountState = "active" | "initial" | "disabled" | "departed";

export function accountState(account: Account): AccountState {
  if (account.holder.type === "person" && account.holder.status === "departed") return "departed";
  if (account.disabled) return "disabled";
  return account.passwordState === "initial" ? "initial" : "active";
}

export interface PersonHitAccount {
  readonly id: number;
  readonly username: string;
  readonly address: string;
  readonly kind: "academique" | "fonctionnel";
  readonly state: AccountState;
}

/** A person found: who, where, and their accounts. Never their NUMEN nor their date of birth. */
export interface PersonHit {
  readonly personId: number;
  readonly civilite: string;
  /** Prénom(s), as HR wrote them. */
  readonly prenom: string;
  readonly nom: string;
  readonly categorie: string;
  readonly status: PersonStatus;
  /** The person's establishment (the name is null when the establishment was not imported). */
  readonly establishment: { readonly uai: string; readonly libelle: string | null } | null;
  /** Academic and functional accounts held, oldest first. */
  readonly accounts: readonly PersonHitAccount[];
  /** How the query matched: every word exactly, by a prefix, or a misspelt name. */
  readonly match: "exact" | "prefix" | "fuzzy";
}

/** A person a query found, before their accounts are looked up. */
export interface PersonCandidate {
  readonly id: number;
  readonly civilite: string;
  readonly nom: string;
  readonly prenom: string;
  readonly categorie: string;
  readonly uai: string;
  readonly status: PersonStatus;
  readonly searchName: string;
  /** The sum of the words' grades (or EXACT / PREFIX times the number of words for other matches). */
  readonly score: number;
  readonly match: PersonHit["match"];
}

/** Exact matches first, then prefixes, then misspellings. */
const TIER: Readonly<Record<PersonHit["match"], number>> = { exact: 0, prefix: 1, fuzzy: 2 };

/**
 * The order of the hits: exact matches, then prefixes, then misspellings; in each, active people
 * before departed ones, then the higher score (a closer misspelling, a term of the nom), then the
 * folded name.
 */
export function compareCandidates(a: PersonCandidate, b: PersonCandidate): number {
  if (a.match !== b.match) return TIER[a.match] - TIER[b.match];
  if (a.status !== b.status) return a.status === "active" ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  if (a.searchName !== b.searchName) return a.searchName < b.searchName ? -1 : 1;
  return a.id - b.id;
}

/** The candidates found by several matches (a name and a username…) once each, with their best match, in order. */
export function mergeCandidates(lists: ReadonlyArray<readonly PersonCandidate[]>, limit: number): PersonCandidate[] {
  const best = new Map<number, PersonCandidate>();
  for (const list of lists) {
    for (const c of list) {
      const seen = best.get(c.id);
      if (!seen || compareCandidates(c, seen) < 0) best.set(c.id, c);
    }
  }
  return [...best.values()].sort(compareCandidates).slice(0, limit);
}

/** How the words matched a person, from their grades: all exact, a misspelt name, or else by prefix. */
export function matchOfGrades(grades: readonly number[]): PersonHit["match"] {
  if (grades.every((g) => g >= EXACT)) return "exact";
  return grades.some((g) => g < PREFIX) ? "fuzzy" : "prefix";
}
