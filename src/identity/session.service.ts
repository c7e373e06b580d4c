/**
 * Server-side sessions: a 256-bit random token in the cookie, only its SHA-256 stored; idle and
 * absolute timeouts; a new token at every sign-in; every session of an account can be ended.
 */
import type { Kysely } from "kysely";
import type { AuditEventInput, AuditService } from "../audit/audit.service.js";
import type { Clock } from "../shared/clock.js";
import { randomToken, sha256Hex } from "../shared/crypto.js";
import type { Redis } from "../shared/redis.js";
import type { Schema } from "../storage/schema.js";
import { SqlSessionStore } from "./session.repository.js";
import { RedisSessionStore, type SessionKind, type SessionRecord, type SessionStore } from "./session-store.js";

/** Where sessions live: Redis when configured (shared by the instances), else the database. */
export function createSessionStore(o: {
  db: Kysely<Schema>;
  redis: Redis | null;
  idleMs: number;
  redisPrefix: string;
}): SessionStore {
  return o.redis ? new RedisSessionStore(o.redis, o.idleMs, o.redisPrefix) : new SqlSessionStore(o.db);
}

export interface SessionTimeouts {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

export interface Session extends SessionRecord {
  /** Milliseconds left before the idle timeout (or the absolute one, whichever is first). */
  readonly remainingMs: number;
}

/** A password typed again stays valid this long for the session's sensitive changes. */
export const REAUTH_VALID_MS = 5 * 60_000;

/** Touching the store on every request would be a write per page: only after this much time. */
const TOUCH_AFTER_MS = 30_000;

export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly clock: Clock,
    readonly timeouts: SessionTimeouts,
    /** Whether the account may still be used (not disabled, holder not departed): checked on every use. */
    private readonly accountUsable: (accountId: number) => Promise<boolean> = async () => true,
  ) {}

  /**
   * Opens a session. With `audited`, the event that opened it (a sign-in) is recorded with it: in
   * the same statement or transaction when the sessions live in the database.
   */
  async start(
    accountId: number,
    kind: SessionKind,
    meta: { ip: string; userAgent: string },
    absoluteMs = this.timeouts.absoluteMs,
    audited?: { readonly audit: AuditService; readonly event: AuditEventInput },
  ): Promise<{ token: string; session: Session }> {
    const token = randomToken(32);
    const now = this.clock.now();
    const record: SessionRecord = {
      idHash: sha256Hex(token),
      accountId,
      kind,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + absoluteMs).toISOString(),
      ip: meta.ip,
      userAgent: meta.userAgent.slice(0, 512),
      reauthAt: null,
    };
    if (!audited) {
      await this.store.create(record);
    } else if (this.store.createWithAudit) {
      await this.store.createWithAudit(record, audited.audit.rowOf(audited.event, now));
    } else {
      await this.store.create(record);
      await audited.audit.record(audited.event);
    }
    return { token, session: { ...record, remainingMs: Math.min(this.timeouts.idleMs, absoluteMs) } };
  }

  /** The live session of a token, refreshed; null when unknown or expired (an expired one is removed). */
  async resolve(token: string | undefined, options: { touch?: boolean } = {}): Promise<Session | null> {
    if (!token || token.length > 128) return null;
    const idHash = sha256Hex(token);
    const record = await this.store.get(idHash);
    if (!record) return null;
    const now = this.clock.now().getTime();
    const lastSeen = new Date(record.lastSeenAt).getTime();
    const expires = new Date(record.expiresAt).getTime();
    if (now >= expires || now - lastSeen >= this.timeouts.idleMs || !(await this.accountUsable(record.accountId))) {
      await this.store.delete(idHash);
      return null;
    }
    let seen = lastSeen;
    if (options.touch !== false && now - lastSeen >= TOUCH_AFTER_MS) {
      await this.store.touch(idHash, new Date(now).toISOString());
      seen = now;
    }
    return { ...record, remainingMs: Math.min(seen + this.timeouts.idleMs, expires) - now };
  }

  /** Explicit extension (the "Prolonger la session" button): always refreshes the idle timer. */
  async extend(token: string): Promise<Session | null> {
    const session = await this.resolve(token, { touch: false });
    if (!session) return null;
    const now = this.clock.now();
    await this.store.touch(session.idHash, now.toISOString());
    const expires = new Date(session.expiresAt).getTime();
    return {
      ...session,
      lastSeenAt: now.toISOString(),
      remainingMs: Math.min(now.getTime() + this.timeouts.idleMs, expires) - now.getTime(),
    };
  }

  /** Records that the password was just typed again in this session. */
  async markReauthenticated(session: Pick<SessionRecord, "idHash">): Promise<Date> {
    const now = this.clock.now();
    await this.store.markReauthenticated(session.idHash, now.toISOString());
    return now;
  }

  /** Whether the password was typed again in this session less than 5 minutes ago. */
  isRecentlyReauthenticated(session: Pick<SessionRecord, "reauthAt">): boolean {
    if (!session.reauthAt) return false;
    const age = this.clock.now().getTime() - new Date(session.reauthAt).getTime();
    return age >= 0 && age < REAUTH_VALID_MS;
  }

  async end(token: string | undefined): Promise<SessionRecord | null> {
    if (!token || token.length > 128) return null;
    const idHash = sha256Hex(token);
    const record = await this.store.get(idHash);
    await this.store.delete(idHash);
    return record;
  }

  /** The live sessions of an account, newest first. */
  async listForAccount(accountId: number): Promise<SessionRecord[]> {
    const now = this.clock.now().getTime();
    const live = (await this.store.listForAccount(accountId)).filter(
      (s) => new Date(s.expiresAt).getTime() > now && now - new Date(s.lastSeenAt).getTime() < this.timeouts.idleMs,
    );
    return live.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Ends one session of an account (the "Fermer" button); false when it is not one of its sessions. */
  async endOne(accountId: number, idHash: string): Promise<boolean> {
    const record = await this.store.get(idHash);
    if (!record || record.accountId !== accountId) return false;
    await this.store.delete(idHash);
    return true;
  }

  endAllForAccount(accountId: number, exceptIdHash?: string): Promise<number> {
    return this.store.deleteForAccount(accountId, exceptIdHash);
  }

  purgeExpired(): Promise<number> {
    const now = this.clock.now();
    return this.store.purgeExpired(now.toISOString(), new Date(now.getTime() - this.timeouts.idleMs).toISOString());
  }
}

export type { SessionKind, SessionRecord };
