import { sql } from "kysely";
import type { DialectName } from "../database.js";
import type { AnyDb } from "./schema-kit.js";

/**
 * Audit retention (issue 17, SESAME_AUDIT_RETENTION_DAYS): the trail stays append-only, except for
 * the retention purge, the one deletion the triggers let through (audit/audit.repository.ts).
 * - PostgreSQL: a DELETE passes only while the transaction-local setting `sesame.audit_purge` is
 *   `on`, which only `audit_purge(before, max_rows)` sets (and clears) around its own DELETE; it
 *   returns how many rows it deleted. UPDATE is refused as before.
 * - SQLite: a DELETE passes only while `audit_purge_guard` holds a row, which the purge inserts and
 *   removes inside its own transaction (so no other connection ever sees it). UPDATE is refused as
 *   before.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  if (dialect === "postgres") {
    await sql`create or replace function audit_event_append_only() returns trigger as $$
      begin
        if tg_op = 'DELETE' and current_setting('sesame.audit_purge', true) = 'on' then return old; end if;
        raise exception 'audit_event is append-only';
      end; $$ language plpgsql`.execute(db);
    await sql`create or replace function audit_purge(before timestamptz, max_rows integer default 5000)
      returns integer as $$
      declare
        purged integer;
        cutoff text := to_char(before at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
      begin
        perform set_config('sesame.audit_purge', 'on', true);
        delete from audit_event where id in
          (select id from audit_event where at < cutoff order by id limit max_rows);
        get diagnostics purged = row_count;
        perform set_config('sesame.audit_purge', 'off', true);
        return purged;
      end; $$ language plpgsql`.execute(db);
  } else {
    await sql`create table audit_purge_guard (purging integer not null)`.execute(db);
    await sql`drop trigger audit_event_no_delete`.execute(db);
    await sql`create trigger audit_event_no_delete before delete on audit_event
      when not exists (select 1 from audit_purge_guard)
      begin select raise(abort, 'audit_event is append-only'); end`.execute(db);
  }
}
