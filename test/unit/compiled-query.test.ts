/**
 * compiledOnce (storage/compiled-query.ts): a query compiled once runs again with new values, as the
 * builder would have run it; a value the builder does not pass as a parameter is refused at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { compiledOnce } from "../../src/storage/compiled-query.js";

interface Db {
  item: { id: number; name: string; owner: string | null };
}

describe("compiledOnce", () => {
  let db: Kysely<Db>;
  before(async () => {
    db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new SqliteDatabase(":memory:") }) });
    await sql`create table item (id integer primary key, name text not null, owner text)`.execute(db);
    await db
      .insertInto("item")
      .values([
        { id: 1, name: "un", owner: "anne" },
        { id: 2, name: "deux", owner: null },
        { id: 3, name: "trois", owner: "anne" },
      ])
      .execute();
  });
  after(() => db.destroy());

  it("runs with each call's values, a value used twice included", async () => {
    const byNameOrOwner = compiledOnce(
      (ex: Kysely<Db>, a: { value: string; above: number }) =>
        ex
          .selectFrom("item")
          .select(["id", "name"])
          .where((eb) => eb.or([eb("name", "=", a.value), eb("owner", "=", a.value)]))
          .where("id", ">", a.above)
          .orderBy("id"),
      ["value", "above"],
    );
    assert.deepEqual((await byNameOrOwner(db, { value: "anne", above: 0 })).rows, [
      { id: 1, name: "un" },
      { id: 3, name: "trois" },
    ]);
    assert.deepEqual((await byNameOrOwner(db, { value: "deux", above: 0 })).rows, [{ id: 2, name: "deux" }]);
    assert.deepEqual((await byNameOrOwner(db, { value: "anne", above: 1 })).rows, [{ id: 3, name: "trois" }]);
  });

  it("writes with null values, inside a transaction too", async () => {
    const insert = compiledOnce(
      (ex: Kysely<Db>, v: { id: number; name: string; owner: string | null }) =>
        ex.insertInto("item").values({ id: v.id, name: v.name, owner: v.owner }),
      ["id", "name", "owner"],
    );
    await db.transaction().execute((trx) => insert(trx, { id: 10, name: "dix", owner: null }));
    await insert(db, { id: 11, name: "onze", owner: "paul" });
    const rows = await db.selectFrom("item").selectAll().where("id", ">=", 10).orderBy("id").execute();
    assert.deepEqual(rows, [
      { id: 10, name: "dix", owner: null },
      { id: 11, name: "onze", owner: "paul" },
    ]);
  });

  it("refuses a query that does not take a named value as a parameter", async () => {
    const inlined = compiledOnce(
      (ex: Kysely<Db>, a: { name: string }) => ex.selectFrom("item").select("id").where("name", "=", sql.lit(a.name)),
      ["name"],
    );
    await assert.rejects(inlined(db, { name: "un" }), /the value name is not a parameter/);
  });
});
