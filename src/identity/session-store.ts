/**
 * Where sessions live: the database by default, Redis when SESAME_REDIS_URL is set, so that several
 * instances share them. Only hashes of session tokens are stored.
 */
import type { Redis } from "ioredis";
import type { AuditRow } from "../audit/audit.service.js";

export type SessionKind =
  | "webmail"
  | "password_change"
  | "recovery"
  | "recovery_pending"
  | "account"
  /** The console, between the password and the second factor. */
  | "console_pending"
  | "console";

export interface SessionRecord {
  readonly idHash: string;
  readonly accountId: number;
  readonly kind: SessionKind;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly ip: string;
  readonly userAgent: string;
  /** When the password was last typed again in this session (a sensitive change), or null. */
  readonly reauthAt: string | null;
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  /**
   * The session and the audit entry of what opened it, written together (one statement on
   * PostgreSQL, one transaction on SQLite). Absent on stores outside the database (Redis): the
   * caller writes the entry after the session.
   */
  createWithAudit?(session: SessionRecord, audit: AuditRow): Promise<void>;
  get(idHash: string): Promise<SessionRecord | null>;
  touch(idHash: string, lastSeenAt: string): Promise<void>;
  /** Records that the password was typed again in this session. */
  markReauthenticated(idHash: string, at: string): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Ends every session of an account but one (after a password change); returns how many. */
  deleteForAccount(accountId: number, exceptIdHash?: string): Promise<number>;
  purgeExpired(now: string, idleCutoff: string): Promise<number>;
  listForAccount(accountId: number): Promise<SessionRecord[]>;
}

/**
 * Redis layout: `sesame:sess:<idHash>` a hash with the record, expiring with the session (idle
 * timeout, refreshed on touch, never past the absolute expiry); `sesame:sess-acct:<accountId>` a set
 * of the account's session hashes, so that a password change can end them all.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly idleMs: number,
    private readonly prefix = "sesame:",
  ) {}

  private key(idHash: string): string {
    return `${this.prefix}sess:${idHash}`;
  }
  private accountKey(accountId: number): string {
    return `${this.prefix}sess-acct:${accountId}`;
  }
  private ttlMs(s: Pick<SessionRecord, "expiresAt">, lastSeenAt: string): number {
    const absolute = new Date(s.expiresAt).getTime() - new Date(lastSeenAt).getTime();
    return Math.max(1, Math.min(this.idleMs, absolute));
  }

  async create(s: SessionRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(s.idHash), { ...s, accountId: String(s.accountId), reauthAt: s.reauthAt ?? "" })
      .pexpire(this.key(s.idHash), this.ttlMs(s, s.lastSeenAt))
      .sadd(this.accountKey(s.accountId), s.idHash)
      .pexpire(this.accountKey(s.accountId), new Date(s.expiresAt).getTime() - new Date(s.lastSeenAt).getTime())
      .exec();
  }

  async get(idHash: string): Promise<SessionRecord | null> {
    const h = await this.redis.hgetall(this.key(idHash));
    if (!h.idHash) return null;
    return {
      idHash: h.idHash,
      accountId: Number(h.accountId),
      kind: h.kind as SessionKind,
      createdAt: h.createdAt ?? "",
      lastSeenAt: h.lastSeenAt ?? "",
      expiresAt: h.expiresAt ?? "",
      ip: h.ip ?? "",
      userAgent: h.userAgent ?? "",
      reauthAt: h.reauthAt ? h.reauthAt : null,
    };
  }

  async touch(idHash: string, lastSeenAt: string): Promise<void> {
    const expiresAt = await this.redis.hget(this.key(idHash), "expiresAt");
    if (!expiresAt) return;
    await this.redis
      .multi()
      .hset(this.key(idHash), "lastSeenAt", lastSeenAt)
      .pexpire(this.key(idHash), this.ttlMs({ expiresAt }, lastSeenAt))
      .exec();
  }

  async markReauthenticated(idHash: string, at: string): Promise<void> {
    // Only a session that still exists (HSET alone would create a key without expiry).
    if ((await this.redis.exists(this.key(idHash))) === 1) await this.redis.hset(this.key(idHash), "reauthAt", at);
  }

  async delete(idHash: string): Promise<void> {
    const accountId = await this.redis.hget(this.key(idHash), "accountId");
    const m = this.redis.multi().del(this.key(idHash));
    if (accountId) m.srem(this.accountKey(Number(accountId)), idHash);
    await m.exec();
  }

  async deleteForAccount(accountId: number, exceptIdHash?: string): Promise<number> {
    const members = await this.redis.smembers(this.accountKey(accountId));
    const doomed = members.filter((m) => m !== exceptIdHash);
    if (doomed.length === 0) return 0;
    const m = this.redis.multi();
    for (const id of doomed) m.del(this.key(id));
    m.srem(this.accountKey(accountId), ...doomed);
    const results = (await m.exec()) ?? [];
    return results.slice(0, doomed.length).filter(([, n]) => n === 1).length;
  }

  async purgeExpired(): Promise<number> {
    return 0; // Redis expires keys by itself.
  }

  async listForAccount(accountId: number): Promise<SessionRecord[]> {
    const members = await this.redis.smembers(this.accountKey(accountId));
    const out: SessionRecord[] = [];
    for (const id of members) {
      const s = await this.get(id);
      if (s) out.push(s);
      else await this.redis.srem(this.accountKey(accountId), id);
    }
    return out;
  }
}
