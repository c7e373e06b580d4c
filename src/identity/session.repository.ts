/** SQL storage of sessions (the default store; Redis replaces it when configured). */
import type { Kysely, Selectable } from "kysely";
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

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Executor) {}

  async create(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto("session")
      .values({
        id_hash: s.idHash,
        account_id: s.accountId,
        kind: s.kind,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
        ip: s.ip,
        user_agent: s.userAgent,
        reauth_at: s.reauthAt,
      })
      .execute();
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
