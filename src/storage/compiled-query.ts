/**
 * A hot query of a fixed shape, built and compiled by Kysely once per dialect, then run again with
 * new values: the query builder's work (building the tree, compiling it to SQL) is a measurable share
 * of a sign-in's main-thread time (bench:login), for a text that never changes.
 *
 * The query is built once with a unique marker in place of each named value; the positions where the
 * markers land in the compiled parameters say where each value goes at every run. A value the builder
 * does not pass as a parameter (an inlined literal, a value it rewrote) would leave its marker out:
 * the first compilation checks that every marker is there exactly as given, else it throws.
 */
import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from "kysely";

/** The dialect a Kysely instance compiles for (its adapter's class: PostgresAdapter, SqliteAdapter). */
function dialectOf<DB>(ex: Kysely<DB>): unknown {
  return ex.getExecutor().adapter.constructor;
}

export function compiledOnce<DB, Args extends Record<string, unknown>, Row>(
  build: (ex: Kysely<DB>, args: Args) => Compilable<Row>,
  names: readonly (keyof Args & string)[],
): (ex: Kysely<DB>, args: Args) => Promise<QueryResult<Row>> {
  const compiled = new Map<unknown, { sql: string; slots: (keyof Args & string)[] }>();
  // Lower case with no space: a builder that normalises a value (trim, toLowerCase) keeps the marker.
  const marker = `\u0000compiled-once-${Math.random().toString(36).slice(2)}-`;
  return async (ex, args) => {
    const dialect = dialectOf(ex);
    let entry = compiled.get(dialect);
    if (!entry) {
      const markers = Object.fromEntries(names.map((name) => [name, `${marker}${name}`])) as unknown as Args;
      const query = build(ex, markers).compile();
      const slots = query.parameters.map((p) => {
        const name = typeof p === "string" && p.startsWith(marker) ? p.slice(marker.length) : null;
        if (name === null || !names.includes(name)) {
          throw new Error(`compiledOnce: a parameter of "${query.sql}" is not one of the named values`);
        }
        return name as keyof Args & string;
      });
      for (const name of names) {
        if (!slots.includes(name))
          throw new Error(`compiledOnce: the value ${name} is not a parameter of "${query.sql}"`);
      }
      entry = { sql: query.sql, slots };
      compiled.set(dialect, entry);
    }
    const parameters = entry.slots.map((name) => args[name]);
    return ex.executeQuery<Row>(CompiledQuery.raw(entry.sql, parameters));
  };
}
