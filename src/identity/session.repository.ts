/** SQL storage of sessions (the default store; Redis replaces it when configured). */
import { type Insertable, type Kysely, PostgresAdapter, type Selectable } from "kysely";
import type { AuditRow } from "../audit/audit.service.js";
import { compiledOnce } from "../storage/compiled-query.js";
import type { Schema, SessionTable } from "../storage/schema.js";
import type { SessionRecord, SessionStore } from "./session-store.js";

type Executor = Kysely<Schema>;

function toRecord(r: Selectable<SessionTable>): SessionRecord {
  return {
    idHash: r.id_hash,
    accountId: r.account_id,
    kind: r.kind as SessionRecord["kind"],
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    ip: r.ip,
    userAgent: r.user_agent,
    reauthAt: r.reauth_at,
  };
}

function toRow(s: SessionRecord): Insertable<SessionTable> {
  return {
    id_hash: s.idHash,
    account_id: s.accountId,
    kind: s.kind,
    created_at: s.createdAt,
    last_seen_at: s.lastSeenAt,
    expires_at: s.expiresAt,
    ip: s.ip,
    user_agent: s.userAgent,
    reauth_at: s.reauthAt,
  };
}

/** The audit row's columns, named apart from the session's (one set of values for both inserts). */
function auditColumns({ at, actor, action, entity, entity_id, details, ...rest }: AuditRow) {
  // A column added to the audit table does not compile here until the statement below writes it.
  void (rest satisfies Record<string, never>);
  return { a_at: at, a_actor: actor, a_action: action, a_entity: entity, a_entity_id: entity_id, a_details: details };
}

type SessionWithAudit = Insertable<SessionTable> & ReturnType<typeof auditColumns>;

/** PostgreSQL's one statement for a session and its audit entry, compiled once (bench:login). */
const sessionWithAudit = compiledOnce(
  (db: Executor, v: SessionWithAudit) =>
    db
      .with("opened", (qc) =>
        qc
          .insertInto("session")
          .values({
            id_hash: v.id_hash,
            account_id: v.account_id,
            kind: v.kind,
            created_at: v.created_at,
            last_seen_at: v.last_seen_at,
            expires_at: v.expires_at,
            ip: v.ip,
            user_agent: v.user_agent,
            reauth_at: v.reauth_at,
          })
          .returning("id_hash"),
      )
      .insertInto("audit_event")
      .values({
        at: v.a_at,
        actor: v.a_actor,
        action: v.a_action,
        entity: v.a_entity,
        entity_id: v.a_entity_id,
        details: v.a_details,
      }),
  [
    "id_hash",
    "account_id",
    "kind",
    "created_at",
    "last_seen_at",
    "expires_at",
    "ip",
    "user_agent",
    "reauth_at",
    "a_at",
    "a_actor",
    "a_action",
    "a_entity",
    "a_entity_id",
    "a_details",
  ],
);

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Executor) {}

  async create(s: SessionRecord): Promise<void> {
    await this.db.insertInto("session").values(toRow(s)).execute();
  }

  /**
   * A sign-in's session and its audit entry (the row the audit service built): on PostgreSQL one
   * statement (a data-modifying WITH, one round trip instead of four for BEGIN … COMMIT), on SQLite
   * one transaction (SQLite has no INSERT inside WITH).
   */
  async createWithAudit(s: SessionRecord, audit: AuditRow): Promise<void> {
    if (this.db.getExecutor().adapter instanceof PostgresAdapter) {
      await sessionWithAudit(this.db, { ...toRow(s), ...auditColumns(audit) });
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("session").values(toRow(s)).execute();
      await trx.insertInto("audit_event").values(audit).execute();
    });
  }

  async get(idHash: string): Promise<SessionRecord | null> {
    const r = await this.db.selectFrom("session").selectAll().where("id_hash", "=", idHash).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async touch(idHash: string, lastSeenAt: string): Promise<void> {
    await this.db.updateTable("session").set({ last_seen_at: lastSeenAt }).where("id_hash", "=", idHash).execute();
  }

  async markReauthenticated(idHash: string, at: string): Promise<void> {
    await this.db.updateTable("session").set({ reauth_at: at }).where("id_hash", "=", idHash).execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom("session").where("id_hash", "=", idHash).execute();
  }

  async deleteForAccount(accountId: number, exceptIdHash?: string): Promise<number> {
    let q = this.db.deleteFrom("session").where("account_id", "=", accountId);
    if (exceptIdHash) q = q.where("id_hash", "!=", exceptIdHash);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async listForAccount(accountId: number): Promise<SessionRecord[]> {
    const rows = await this.db.selectFrom("session").selectAll().where("account_id", "=", accountId).execute();
    return rows.map(toRecord);
  }

  async purgeExpired(now: string, idleCutoff: string): Promise<number> {
    const r = await this.db
      .deleteFrom("session")
      .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<=", idleCutoff)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
