/**
 * The security team's look-ups across every mailbox (a reported message's copies by Message-ID, the
 * messages of a sender) go through an index on both databases (migrations 012 and 022), not a scan of every
 * message of the académie: the plan of the repository's own query is read.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CompiledQuery, type QueryResult, sql } from "kysely";
import { copiesByMessageId, copiesBySender, mailboxCounts } from "../../src/mail/mail.repository.js";
import type { Database } from "../../src/storage/database.js";
import { DIALECTS, openTestServices } from "../helpers/env.js";

/** The plan of a query, as one text (PostgreSQL with sequential scans off: is an index usable at all?). */
async function planOf(database: Database, query: CompiledQuery): Promise<string> {
  const { db, dialect } = database;
  if (dialect === "sqlite") {
    const { rows } = await db.executeQuery<{ detail: string }>({ ...query, sql: `explain query plan ${query.sql}` });
    return rows.map((r) => r.detail).join("\n");
  }
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const { rows } = await trx.executeQuery<{ "QUERY PLAN": string }>({ ...query, sql: `explain ${query.sql}` });
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  });
}

/** The first query a repository function runs (it runs, on a Kysely of its own sharing the pool). */
async function captured(database: Database, run: (db: Database["db"]) => Promise<unknown>): Promise<CompiledQuery> {
  let caught: CompiledQuery | undefined;
  // withPlugin gives a new Kysely with an executor of its own: the shared one is left alone.
  const spy = database.db.withPlugin({
    transformQuery: (args) => args.node,
    transformResult: async (args) => args.result,
  });
  const executor = spy.getExecutor();
  const original = executor.executeQuery.bind(executor);
  executor.executeQuery = async <R>(query: CompiledQuery<R>): Promise<QueryResult<R>> => {
    caught ??= query;
    return original(query);
  };
  await run(spy);
  if (!caught) throw new Error("no query ran");
  return caught;
}

for (const dialect of DIALECTS) {
  describe(`look-ups across mailboxes (${dialect})`, () => {
    it("by Message-ID and by sender address, each through its index", async () => {
      const ctx = await openTestServices(dialect);
      try {
        const { database } = ctx.services;
        const byId = await planOf(
          database,
          await captured(database, (db) => copiesByMessageId(db, "<campagne@exemple.org>")),
        );
        assert.match(byId, /mail_message_message_id_idx/, byId);
        const counts = await planOf(
          database,
          await captured(database, (db) => mailboxCounts(db, ["<a@exemple.org>", "<b@exemple.org>"])),
        );
        assert.match(counts, /mail_message_message_id_idx/, counts);
        const bySender = await planOf(
          database,
          await captured(database, (db) => copiesBySender(db, "Support@AC-Lyon-Securite.com")),
        );
        assert.match(bySender, /mail_message_sender_idx/, bySender);
      } finally {
        await ctx.close();
      }
    });
  });
}
