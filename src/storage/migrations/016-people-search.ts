import { sql } from "kysely";
import type { DialectName } from "../database.js";
import { personSearchKeys, searchTermRows } from "../search-text.js";
import { type AnyDb, createIndexes } from "./schema-kit.js";

/**
 * The helpdesk's person search (issue 16): every person's folded names, kept by the directory's
 * repository with each person it writes (storage/search-text.ts says how).
 * - `person.search_name`: « dupont / jean pierre », to sort by; with the UAI and status, the index
 *   that lists an establishment's people.
 * - `person_search_term`: one row per folded word of a person's names (and their joins: « legall »),
 *   the search's exact and prefix matches (a range on the primary key) and the per-person checks of
 *   the other words typed (the index on person_id).
 * - `person_search_word`: each distinct term once, with a trigram index for misspelt names (« dupond »
 *   finds Dupont): on PostgreSQL a GiST index of pg_trgm, on SQLite an FTS5 table with the trigram
 *   tokenizer (SQLite ≥ 3.34), filled by a trigger with the word padded as pg_trgm pads it.
 *   GiST rather than GIN: on 100,000 people's 30,000 terms the planner chose a sequential scan over
 *   the GIN index for `%` (26 ms; 6–9 ms through GIN when forced), and uses GiST by itself (3 ms);
 *   its slower writes do not matter here, a new term being rare once the directory is imported.
 * On PostgreSQL the terms and the folded names sort bytewise (collate "C"), so that a prefix is a
 * range and Dupont comes before Dupont-Martin whatever the database's collation. The people already there get their terms here.
 *
 * pg_trgm: `create extension` needs the CREATE privilege on the database (pg_trgm is a trusted
 * extension since PostgreSQL 13: the database's owner may install it, no superuser needed) and on
 * the schema it goes to. It goes to `public`, never to the schema being migrated (a schema dropped
 * with its extension would take every other schema's trigram indexes with it); where a DBA already
 * installed it elsewhere, that schema is used. Without the privilege: `CREATE EXTENSION pg_trgm;` by
 * the DBA first.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const pg = dialect === "postgres";
  const bytewiseText = pg ? sql`text collate "C"` : sql`text`;

  await db.schema
    .alterTable("person")
    .addColumn("search_name", bytewiseText, (c) => c.notNull().defaultTo(""))
    .execute();
  await createIndexes(db, "person", { person_uai_idx: ["uai", "status", "search_name"] });

  await db.schema
    .createTable("person_search_term")
    .addColumn("term", bytewiseText, (c) => c.notNull())
    .addColumn("person_id", "integer", (c) => c.notNull().references("person.id"))
    // 1: a term of the nom (a match there ranks first: the helpdesk types the nom), 0: of the prénoms.
    .addColumn("in_nom", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("person_search_term_pk", ["term", "person_id", "in_nom"])
    .$call((t) => (pg ? t : t.modifyEnd(sql`without rowid`)))
    .execute();
  await createIndexes(db, "person_search_term", { person_search_term_person_idx: ["person_id", "term", "in_nom"] });

  if (pg) {
    await db.schema
      .createTable("person_search_word")
      .addColumn("term", bytewiseText, (c) => c.primaryKey())
      .execute();
    const trgm = await trigramSchema(db);
    await sql`create index person_search_word_trgm_idx on person_search_word
      using gist (term ${sql.id(trgm)}.gist_trgm_ops)`.execute(db);
  } else {
    // An explicit rowid: the FTS5 rows point to it, and VACUUM keeps it.
    await db.schema
      .createTable("person_search_word")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("term", "text", (c) => c.notNull().unique())
      .execute();
    await sql`create virtual table person_search_word_fts using fts5(term, content='', tokenize='trigram')`.execute(db);
    // Words are only ever added (INSERT … ON CONFLICT DO NOTHING fires no trigger for a word already there).
    await sql`create trigger person_search_word_ai after insert on person_search_word begin
      insert into person_search_word_fts(rowid, term) values (new.id, '  ' || new.term || ' ');
    end`.execute(db);
  }

  // The people already in the directory. SQLite runs migrations outside a transaction: one here.
  if (pg) await backfill(db);
  else await db.transaction().execute((trx) => backfill(trx));
}

/** The schema pg_trgm is in, after installing it in `public` when it is nowhere. */
async function trigramSchema(db: AnyDb): Promise<string> {
  // Several processes may migrate several schemas of one database at once (the tests do): one at a time here.
  await sql`select pg_advisory_xact_lock(hashtext('sesame:create extension pg_trgm'))`.execute(db);
  await sql`create extension if not exists pg_trgm with schema public`.execute(db);
  const { rows } = await sql<{ schema: string }>`select n.nspname as schema from pg_extension e
    join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error("pg_trgm is not installed");
  return schema;
}

const BATCH = 500;

/** Fills the search columns of every person from their names (exported for its test). */
export async function backfill(db: AnyDb): Promise<void> {
  let after = 0;
  for (;;) {
    const people: Array<{ id: number; nom: string; prenom: string }> = await db
      .selectFrom("person")
      .select(["id", "nom", "prenom"])
      .where("id", ">", after)
      .orderBy("id")
      .limit(BATCH)
      .execute();
    const last = people.at(-1);
    if (!last) return;
    after = last.id;
    const keys = people.map((p) => personSearchKeys(p.nom, p.prenom));
    await db
      .updateTable("person")
      .set({
        search_name: sql`case id ${sql.join(
          people.map((p, i) => sql`when ${p.id} then ${keys[i]?.name ?? ""}`),
          sql` `,
        )} end`,
      })
      .where(
        "id",
        "in",
        people.map((p) => p.id),
      )
      .execute();
    const terms = people.flatMap((p, i) => {
      const k = keys[i];
      return k ? searchTermRows(p.id, k).map(([term, person_id, in_nom]) => ({ term, person_id, in_nom })) : [];
    });
    if (terms.length === 0) continue;
    await db.insertInto("person_search_term").values(terms).execute();
    await db
      .insertInto("person_search_word")
      .values([...new Set(terms.map((t) => t.term))].map((term) => ({ term })))
      .onConflict((oc) => oc.column("term").doNothing())
      .execute();
  }
}
