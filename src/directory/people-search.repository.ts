/**
 * The only place that writes SQL for the helpdesk's person search: the folded names kept with each
 * person (migration 016 says what each table is for), and the look-ups. Every query is bounded: by
 * an index range on a word of at least MIN_LEADING_WORD characters (as many rows as people bear that
 * name), or by a LIMIT.
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { DialectName } from "../storage/database.js";
import type { Schema } from "../storage/schema.js";
import { type PersonSearchKeys, searchTermRows } from "../storage/search-text.js";
import {
  EXACT,
  MIN_LEADING_WORD,
  matchOfGrades,
  NOM_BONUS,
  type PersonCandidate,
  PREFIX,
  trigramMatchQuery,
  type WordPlan,
} from "./people-search.js";

type Executor = Kysely<Schema>;

/** A person and what the search keeps of their names (storage/search-text.ts's personSearchKeys). */
export interface SearchablePerson {
  readonly personId: number;
  readonly keys: PersonSearchKeys;
}

const WRITE_BATCH = 1024;

/** Compiled multi-row INSERTs by table and row count (a power of two: a few entries). */
const insertTemplates = new Map<string, string>();

/**
 * A multi-row INSERT … ON CONFLICT DO NOTHING of (term) or (term, person_id, in_nom) rows. As the
 * directory's bulk inserts do, a batch reuses compiled SQL and passes its own parameters (building
 * Kysely's syntax tree for each batch of the 100,000-row import costs memory it has not): the rows
 * are padded to a power of two by repeating the last one, which the conflict clause then ignores.
 */
async function insertTermRows(
  ex: Executor,
  table: "person_search_term" | "person_search_word",
  rows: ReadonlyArray<readonly [string, number, 0 | 1] | readonly [string]>,
): Promise<void> {
  const last = rows.at(-1);
  if (!last) return;
  const size = Math.max(16, 2 ** Math.ceil(Math.log2(rows.length)));
  const padded = rows.length === size ? rows : [...rows, ...Array.from({ length: size - rows.length }, () => last)];
  const compile = (part: typeof rows) =>
    table === "person_search_term"
      ? ex
          .insertInto(table)
          .values(part.map(([term, person_id = 0, in_nom = 0]) => ({ term, person_id, in_nom })))
          .onConflict((oc) => oc.doNothing())
          .compile()
      : ex
          .insertInto(table)
          .values(part.map(([term]) => ({ term })))
          .onConflict((oc) => oc.column("term").doNothing())
          .compile();
  const probe = compile(padded.slice(0, 1));
  const key = `${probe.sql}#${size}`;
  let text = insertTemplates.get(key);
  if (text === undefined) {
    text = compile(padded).sql;
    if (insertTemplates.size >= 32) insertTemplates.clear();
    insertTemplates.set(key, text);
  }
  // A compiled query is plain data: the probe's, with the batch's SQL and parameters.
  await ex.executeQuery({ ...probe, sql: text, parameters: padded.flat() });
}

/** Writes the search terms of people who have none yet (just inserted), and adds new words to the vocabulary. */
export async function insertSearchTerms(ex: Executor, people: readonly SearchablePerson[]): Promise<void> {
  const rows = people.flatMap((p) => searchTermRows(p.personId, p.keys));
  for (let i = 0; i < rows.length; i += WRITE_BATCH) {
    const part = rows.slice(i, i + WRITE_BATCH);
    await insertTermRows(ex, "person_search_term", part);
    await insertTermRows(
      ex,
      "person_search_word",
      [...new Set(part.map((r) => r[0]))].map((term) => [term] as const),
    );
  }
}

/** Replaces a person's search terms (their names changed). Words no one bears any more stay: harmless. */
export async function replaceSearchTerms(ex: Executor, person: SearchablePerson): Promise<void> {
  await ex.deleteFrom("person_search_term").where("person_id", "=", person.personId).execute();
  await insertSearchTerms(ex, [person]);
}

// ------------------------------------------------------------------------------------------ look-ups

/** The columns a search reads: never the NUMEN's hash nor the date of birth. */
const CANDIDATE_COLUMNS = sql`p.id, p.civilite, p.nom, p.prenom, p.categorie, p.uai, p.status, p.search_name`;

interface CandidateRow {
  id: number;
  civilite: string;
  nom: string;
  prenom: string;
  categorie: string;
  uai: string;
  status: PersonCandidate["status"];
  search_name: string;
}

function toCandidate(r: CandidateRow, score: number, match: PersonCandidate["match"]): PersonCandidate {
  return {
    id: r.id,
    civilite: r.civilite,
    nom: r.nom,
    prenom: r.prenom,
    categorie: r.categorie,
    uai: r.uai,
    status: r.status,
    searchName: r.search_name,
    score,
    match,
  };
}

/** The smallest string above every string beginning with `prefix` (terms are ASCII; sorted bytewise). */
const above = (prefix: string): string => `${prefix}\uffff`;

/**
 * The grade of one term of a person (`x.term`) for a word typed: a CASE, 0 (or NOM_BONUS) when it does
 * not match; NOM_BONUS more for a term of the nom when the word is not an initial.
 */
function gradeOf(plan: WordPlan, excluded: readonly WordPlan[]): RawBuilder<number> {
  const { word } = plan;
  const inRange = (w: string) => sql`(x.term >= ${w} and x.term < ${above(w)})`;
  // A short word (« j » of « dupont j ») must match another term than those the longer words match.
  const others = excluded.map((o) =>
    o.fuzzy.length === 0
      ? sql`not ${inRange(o.word)}`
      : sql`not ${inRange(o.word)} and x.term not in (${sql.join(o.fuzzy.map(([t]) => t))})`,
  );
  const prefixCondition = others.length === 0 ? inRange(word) : sql.join([inRange(word), ...others], sql` and `);
  // Grades as parameters: the statement's text (and SQLite's prepared statement) depends on the shape only.
  const fuzzy = plan.fuzzy.map(([term, grade]) => sql`when x.term = ${term} then cast(${grade} as double precision)`);
  const grade = sql`case
    when x.term = ${word} then ${sql.lit(EXACT)}
    when ${prefixCondition} then ${sql.lit(PREFIX)}
    ${sql.join(fuzzy, sql` `)}
    else 0 end`;
  return word.length < MIN_LEADING_WORD
    ? sql<number>`cast(${grade} as double precision)`
    : sql<number>`cast(${grade} as double precision) + x.in_nom * cast(${sql.lit(NOM_BONUS)} as double precision)`;
}

/**
 * A word's postings, best first: its exact term (graded EXACT), the terms it begins (PREFIX), its
 * misspellings (their grades), at most `cap` of them: the candidates of the word that leads a search.
 */
function leadingPostings(plan: WordPlan, cap: number): RawBuilder<unknown> {
  const { word, fuzzy } = plan;
  const branches = [
    sql`select person_id, term, ${sql.lit(EXACT)} as g from person_search_term where term = ${word}`,
    sql`select person_id, term, ${sql.lit(PREFIX)} as g from person_search_term where term > ${word} and term < ${above(word)}`,
    ...(fuzzy.length === 0
      ? []
      : [
          sql`select person_id, term, case ${sql.join(
            fuzzy.map(([term, grade]) => sql`when term = ${term} then cast(${grade} as double precision)`),
            sql` `,
          )} end as g from person_search_term where term in (${sql.join(fuzzy.map(([t]) => t))})`,
        ]),
  ];
  return sql`select person_id from (${sql.join(branches, sql` union all `)}) l
    order by g desc, term, person_id limit ${sql.lit(cap)}`;
}

/** How many postings a word has (exact, prefix and misspellings), counted up to COUNT_BOUND. */
async function countPostings(ex: Executor, plan: WordPlan): Promise<number> {
  const { word, fuzzy } = plan;
  const range = sql`term >= ${word} and term < ${above(word)}`;
  const where = fuzzy.length === 0 ? range : sql`(${range}) or term in (${sql.join(fuzzy.map(([t]) => t))})`;
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from (
    select 1 from person_search_term where ${where} limit ${sql.lit(COUNT_BOUND)}) c`.execute(ex);
  return Number(rows[0]?.n ?? 0);
}

/** The tier of a candidate from its words' grades, as `matchOfGrades` and `compareCandidates` say: 0 exact, 1 prefix, 2 misspelt. */
function tierOf(grades: readonly RawBuilder<unknown>[]): RawBuilder<number> {
  const all = (cmp: (g: RawBuilder<unknown>) => RawBuilder<unknown>, op: string) =>
    sql.join(grades.map(cmp), sql.raw(` ${op} `));
  return sql<number>`case when ${all((g) => sql`${g} >= ${sql.lit(EXACT)}`, "and")} then 0
    when ${all((g) => sql`${g} < ${sql.lit(PREFIX)}`, "or")} then 2 else 1 end`;
}

/** The lowest grade of a match (a misspelling's is above 1): a term that does not match grades at most NOM_BONUS. */
const FUZZY_FLOOR = 1;

/** How many postings a query of short words only (« j », « le ») looks at, in the order of their terms. */
const SHORT_WORD_PEOPLE = 500;

/**
 * How many postings of its leading word a search ranks at most (the exact term's first, then the
 * terms it begins, then its misspellings, the closest first). The leading word is the one with the
 * fewest: a word borne by more people (« marie » alone, 2 % of a directory) ranks its first 1,000
 * only (by term, then id), so that no search reads more; typing more narrows it (with another word
 * rarer than that, the other word leads).
 */
const LEADING_CAP = 1000;

/**
 * How far the postings of the words typed are counted to choose the leading word: well past the cap,
 * so that a rare word is told from a common one even when both are past it (« jean marie perrot »).
 */
const COUNT_BOUND = 5 * LEADING_CAP;

/**
 * People whose terms match every word typed (exact, prefix or misspelt), best first (see
 * compareCandidates). The word with the fewest postings (counted up to LEADING_CAP) finds the
 * candidates; each candidate's few terms are then graded against every word (one pass over them,
 * grouped by person). Short words alone (« j ») find the first SHORT_WORD_PEOPLE postings of their prefix.
 */
export async function findPeopleByWords(
  ex: Executor,
  plans: readonly WordPlan[],
  limit: number,
): Promise<PersonCandidate[]> {
  if (plans.length === 0) return [];
  const longest = plans.reduce((best, p) => (p.word.length > best.word.length ? p : best));
  const leadingWords = [
    ...new Map(plans.filter((p) => p.word.length >= MIN_LEADING_WORD).map((p) => [p.word, p])).values(),
  ];
  let leading: RawBuilder<unknown>;
  if (leadingWords.length === 0) {
    leading = sql`select person_id from person_search_term where term >= ${longest.word} and term < ${above(longest.word)}
      order by term limit ${sql.lit(SHORT_WORD_PEOPLE)}`;
  } else {
    const counts = leadingWords.length === 1 ? [0] : await Promise.all(leadingWords.map((p) => countPostings(ex, p)));
    // The fewest postings; between equals (all past the bound), the longest word.
    const order = leadingWords.map((p, i) => ({ p, n: counts[i] ?? 0 }));
    order.sort((a, b) => a.n - b.n || b.p.word.length - a.p.word.length);
    leading = leadingPostings(order[0]?.p ?? longest, LEADING_CAP);
  }
  const long = plans.filter((p) => p.word.length >= MIN_LEADING_WORD);
  const grades = plans.map(
    (p, i) => sql`max(${gradeOf(p, p.word.length >= MIN_LEADING_WORD ? [] : long)}) as ${sql.ref(`g${i}`)}`,
  );
  const g = (i: number) => sql.ref(`c.g${i}`);
  const { rows } = await sql<CandidateRow & Record<`g${number}`, number>>`
    select * from (
      select ${CANDIDATE_COLUMNS}, ${sql.join(grades)}
      from person p join person_search_term x on x.person_id = p.id
      where p.id in (${leading})
      group by p.id
    ) c
    where ${sql.join(
      plans.map((_, i) => sql`${g(i)} >= ${sql.lit(FUZZY_FLOOR)}`),
      sql` and `,
    )}
    order by ${tierOf(plans.map((_, i) => g(i)))}, c.status, ${sql.join(
      plans.map((_, i) => g(i)),
      sql` + `,
    )} desc, c.search_name, c.id
    limit ${limit}`.execute(ex);
  return rows.map((r) => {
    const grade = plans.map((_, i) => Number(r[`g${i}`]));
    return toCandidate(
      r,
      grade.reduce((a, b) => a + b, 0),
      matchOfGrades(grade),
    );
  });
}

/** How many accounts a username or address prefix looks at, in index order (the exact one first). */
const ACCOUNT_PREFIX_ROWS = 200;

/**
 * People holding an account whose username or address is `text` (EXACT) or begins with it (PREFIX),
 * graded as `words` words. Only held accounts (external ones have no person).
 */
export async function findPeopleByAccount(
  ex: Executor,
  text: string,
  options: { usernames: boolean; words: number; limit: number },
): Promise<PersonCandidate[]> {
  const range = (column: "username" | "address") =>
    sql`select id from (select id from account where ${sql.ref(column)} >= ${text} and ${sql.ref(column)} < ${above(text)}
      order by ${sql.ref(column)} limit ${sql.lit(ACCOUNT_PREFIX_ROWS)}) ${sql.ref(`by_${column}`)}`;
  // One IN over a UNION: an OR of two IN lists made PostgreSQL scan every account.
  const ids = options.usernames
    ? sql`a.id in (${range("username")} union ${range("address")})`
    : sql`a.id in (${range("address")})`;
  const { rows } = await sql<CandidateRow & { exact: number }>`
    select ${CANDIDATE_COLUMNS}, max(case when a.username = ${text} or a.address = ${text} then 1 else 0 end) as exact
    from account a join person p on p.id = a.person_id
    where ${ids}
    group by p.id
    order by exact desc, p.status, p.search_name, p.id
    limit ${options.limit}`.execute(ex);
  return rows.map((r) =>
    Number(r.exact) === 1
      ? toCandidate(r, EXACT * options.words, "exact")
      : toCandidate(r, PREFIX * options.words, "prefix"),
  );
}

/** The people of an establishment (their UAI), and the holder of its functional account. */
export async function findPeopleByUai(ex: Executor, uai: string, limit: number): Promise<PersonCandidate[]> {
  const { rows } = await sql<CandidateRow>`
    select ${CANDIDATE_COLUMNS} from person p where p.uai = ${uai}
    order by p.status, p.search_name, p.id limit ${limit}`.execute(ex);
  const holders = await sql<CandidateRow>`
    select ${CANDIDATE_COLUMNS} from account a join person p on p.id = a.person_id
    where a.establishment_uai = ${uai} and a.kind = 'fonctionnel'`.execute(ex);
  return [...rows, ...holders.rows].map((r) => toCandidate(r, EXACT, "exact"));
}

export async function findPeopleByIds(ex: Executor, ids: readonly number[]): Promise<PersonCandidate[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<CandidateRow>`
    select ${CANDIDATE_COLUMNS} from person p where p.id in (${sql.join(ids)})`.execute(ex);
  return rows.map((r) => toCandidate(r, EXACT, "exact"));
}

/** How many terms of the vocabulary the trigram index proposes for a word, before they are compared. */
const FUZZY_CANDIDATES = 100;

/**
 * Terms of the vocabulary that share trigrams with `word`, the likeliest first (to be compared by
 * trigram similarity by the caller). PostgreSQL: pg_trgm's `%` through the GiST index (similarity ≥ its
 * threshold, 0.3 unless changed), the closest first; SQLite: the FTS5 trigram index, any of the word's
 * trigrams, by rank.
 */
export async function findSimilarTerms(
  ex: Executor,
  dialect: DialectName,
  trigramSchema: string | null,
  word: string,
): Promise<string[]> {
  if (dialect === "postgres") {
    const schema = sql.id(trigramSchema ?? "public");
    const { rows } = await sql<{ term: string }>`
      select term from person_search_word where term operator(${schema}.%) ${word}
      order by term operator(${schema}.<->) ${word}, term limit ${sql.lit(FUZZY_CANDIDATES)}`.execute(ex);
    return rows.map((r) => r.term);
  }
  const { rows } = await sql<{ term: string }>`
    select w.term from person_search_word_fts f join person_search_word w on w.id = f.rowid
    where person_search_word_fts match ${trigramMatchQuery(word)}
    order by f.rank limit ${sql.lit(FUZZY_CANDIDATES)}`.execute(ex);
  return rows.map((r) => r.term);
}

/**
 * The terms among `words` the directory holds (the misspellings one edit away, hundreds of them: an
 * index look-up each; on PostgreSQL one array parameter rather than hundreds). On PostgreSQL the
 * probes go to person_search_term's primary key (a b-tree): pg_trgm's GiST index on
 * person_search_word also answers `=`, and the planner, misjudging its cost, took it for
 * `= any(…)` — 100 to 300 ms a search on 100,000 people, against about 1 ms through the b-tree.
 */
export async function findExistingTerms(
  ex: Executor,
  dialect: DialectName,
  words: readonly string[],
): Promise<string[]> {
  if (words.length === 0) return [];
  const { rows } =
    dialect === "postgres"
      ? await sql<{ term: string }>`select q.term from unnest(cast(${[...words]} as text[]) collate "C") as q(term)
          where exists (select 1 from person_search_term t where t.term = q.term)`.execute(ex)
      : await sql<{ term: string }>`select term from person_search_word where term in (${sql.join(words)})`.execute(ex);
  return rows.map((r) => r.term);
}

/** The schema pg_trgm was installed in (migration 016), or null when it is not there. */
export async function findTrigramSchema(ex: Executor): Promise<string | null> {
  const { rows } = await sql<{ schema: string }>`select n.nspname as schema from pg_extension e
    join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(ex);
  return rows[0]?.schema ?? null;
}
