/**
 * The helpdesk's person search (issue 16): one box for a name (accents and case folded, partial, in
 * any order, misspelt), a username, an address, a UAI or a NUMEN. See people-search.ts for the rules
 * and people-search.repository.ts for the queries; `DirectoryService.searchPeople` is its door.
 */
import type { DialectName } from "../storage/database.js";
import {
  type Executor,
  findAccountsOfPersons,
  findEstablishments,
  findPersonByNumenHash,
} from "./directory.repository.js";
import {
  accountState,
  fuzzyTerms,
  MIN_FUZZY_WORD,
  mergeCandidates,
  oneEditAway,
  type PersonCandidate,
  type PersonHit,
  type PersonHitAccount,
  parseSearchQuery,
  SEARCH_MAX_LIMIT,
  type WordPlan,
} from "./people-search.js";
import {
  findExistingTerms,
  findPeopleByAccount,
  findPeopleByIds,
  findPeopleByUai,
  findPeopleByWords,
  findSimilarTerms,
  findTrigramSchema,
} from "./people-search.repository.js";

export interface PeopleSearchDeps {
  readonly db: Executor;
  readonly dialect: DialectName;
  /** The keyed hash of a NUMEN (the directory's). */
  readonly numenHash: (numen: string) => string;
}

export class PeopleSearch {
  /** Where pg_trgm lives (PostgreSQL), looked up once. */
  private trigramSchema: Promise<string | null> | null = null;

  constructor(private readonly deps: PeopleSearchDeps) {}

  /**
   * Up to `limit` people (1 to SEARCH_MAX_LIMIT) for what the helpdesk typed, best first: active
   * people before departed ones, exact matches, then prefixes, then misspellings by similarity.
   * Throws VALIDATION_FAILED (`too_long`) past SEARCH_MAX_LENGTH characters; nothing typed finds nobody.
   */
  async search(query: string, limit = 20): Promise<PersonHit[]> {
    const parsed = parseSearchQuery(query);
    const max = Math.min(Math.max(Math.trunc(Number.isFinite(limit) ? limit : 20), 1), SEARCH_MAX_LIMIT);
    const { db } = this.deps;
    let found: PersonCandidate[];
    switch (parsed.kind) {
      case "empty":
        return [];
      case "numen": {
        // Only through the keyed hash: the NUMEN typed is never stored nor compared in clear.
        const person = await findPersonByNumenHash(db, this.deps.numenHash(parsed.numen));
        found = await findPeopleByIds(db, person ? [person.id] : []);
        break;
      }
      case "uai":
        found = mergeCandidates([await findPeopleByUai(db, parsed.uai, max)], max);
        break;
      case "address":
        found = await findPeopleByAccount(db, parsed.address, { usernames: false, words: 1, limit: max });
        break;
      case "text": {
        const words = parsed.words.length;
        const [exactOrPrefix, byAccount] = await Promise.all([
          findPeopleByWords(
            db,
            parsed.words.map((word) => ({ word, fuzzy: [] })),
            max,
          ),
          parsed.account === null
            ? []
            : findPeopleByAccount(db, parsed.account, { usernames: true, words, limit: max }),
        ]);
        // Misspellings rank after every exact or prefix match: looked for only when those leave room.
        const misspelt =
          exactOrPrefix.length < max && parsed.words.some((w) => w.length >= MIN_FUZZY_WORD)
            ? await findPeopleByWords(db, await this.plans(parsed.words), max)
            : [];
        found = mergeCandidates([exactOrPrefix, misspelt, byAccount], max);
        break;
      }
    }
    return this.hits(found);
  }

  /** The words typed and the directory's terms each may be a misspelling of (a word typed twice is planned once). */
  private async plans(words: readonly string[]): Promise<WordPlan[]> {
    const planned = new Map(await Promise.all([...new Set(words)].map(async (w) => [w, await this.plan(w)] as const)));
    return words.map((w) => planned.get(w) as WordPlan);
  }

  /** A word and the directory's terms it may be a misspelling of (from the trigram index, and one edit away). */
  private async plan(word: string): Promise<WordPlan> {
    if (word.length < MIN_FUZZY_WORD) return { word, fuzzy: [] };
    const { db, dialect } = this.deps;
    if (dialect === "postgres") this.trigramSchema ??= findTrigramSchema(db);
    const schema = dialect === "postgres" ? await this.trigramSchema : null;
    const [similar, oneEdit] = await Promise.all([
      findSimilarTerms(db, dialect, schema, word),
      findExistingTerms(db, dialect, oneEditAway(word)),
    ]);
    return { word, fuzzy: fuzzyTerms(word, similar, oneEdit) };
  }

  /** The candidates with their establishment and accounts (academic and functional ones only). */
  private async hits(found: readonly PersonCandidate[]): Promise<PersonHit[]> {
    if (found.length === 0) return [];
    const { db } = this.deps;
    const [accounts, establishments] = await Promise.all([
      findAccountsOfPersons(
        db,
        found.map((c) => c.id),
      ),
      findEstablishments(db, [...new Set(found.map((c) => c.uai).filter((uai) => uai !== ""))]),
    ]);
    const byPerson = new Map<number, PersonHitAccount[]>();
    for (const a of accounts) {
      if (a.holder.type !== "person" || a.kind === "externe") continue;
      const list = byPerson.get(a.holder.personId) ?? [];
      list.push({ id: a.id, username: a.username, address: a.address, kind: a.kind, state: accountState(a) });
      byPerson.set(a.holder.personId, list);
    }
    return found.map((c) => ({
      personId: c.id,
      civilite: c.civilite,
      prenom: c.prenom,
      nom: c.nom,
      categorie: c.categorie,
      status: c.status,
      establishment: c.uai === "" ? null : { uai: c.uai, libelle: establishments.get(c.uai)?.libelle ?? null },
      accounts: byPerson.get(c.id) ?? [],
      match: c.match,
    }));
  }
}
