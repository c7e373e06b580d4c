/** The only SQL of the recovery module: single-use reset links and one-time codes. */
import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema>;

export interface StoredResetToken {
  readonly accountId: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly cancelledAt: string | null;
}

export async function insertResetToken(
  ex: Executor,
  t: { tokenHash: string; accountId: number; createdAt: string; expiresAt: string },
): Promise<void> {
  await ex
    .insertInto("reset_token")
    .values({
      token_hash: t.tokenHash,
      account_id: t.accountId,
      created_at: t.createdAt,
      expires_at: t.expiresAt,
      used_at: null,
      cancelled_at: null,
    })
    .execute();
}

export async function findResetToken(ex: Executor, tokenHash: string): Promise<StoredResetToken | null> {
  const r = await ex.selectFrom("reset_token").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  return r
    ? {
        accountId: r.account_id,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        usedAt: r.used_at,
        cancelledAt: r.cancelled_at,
      }
    : null;
}

/** Marks a live token used; false when it was not live any more (used, cancelled) — a race lost. */
export async function markResetTokenUsed(ex: Executor, tokenHash: string, now: string): Promise<boolean> {
  const r = await ex
    .updateTable("reset_token")
    .set({ used_at: now })
    .where("token_hash", "=", tokenHash)
    .where("used_at", "is", null)
    .where("cancelled_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Cancels every live token of an account (a newer link, or a password change). */
export async function cancelResetTokens(ex: Executor, accountId: number, now: string): Promise<void> {
  await ex
    .updateTable("reset_token")
    .set({ cancelled_at: now })
    .where("account_id", "=", accountId)
    .where("used_at", "is", null)
    .where("cancelled_at", "is", null)
    .execute();
}

export interface StoredCode {
  readonly id: number;
  readonly target: string;
  readonly codeHash: string;
  readonly expiresAt: string;
  readonly attemptsLeft: number;
}

export async function replaceCode(
  ex: Executor,
  c: {
    accountId: number;
    purpose: string;
    target: string;
    codeHash: string;
    createdAt: string;
    expiresAt: string;
    attempts: number;
  },
): Promise<void> {
  await ex
    .updateTable("verification_code")
    .set({ consumed_at: c.createdAt })
    .where("account_id", "=", c.accountId)
    .where("purpose", "=", c.purpose)
    .where("consumed_at", "is", null)
    .execute();
  await ex
    .insertInto("verification_code")
    .values({
      account_id: c.accountId,
      purpose: c.purpose,
      target: c.target,
      code_hash: c.codeHash,
      created_at: c.createdAt,
      expires_at: c.expiresAt,
      attempts_left: c.attempts,
      consumed_at: null,
    })
    .execute();
}

export async function findLiveCode(ex: Executor, accountId: number, purpose: string): Promise<StoredCode | null> {
  const r = await ex
    .selectFrom("verification_code")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("purpose", "=", purpose)
    .where("consumed_at", "is", null)
    .orderBy("id", "desc")
    .executeTakeFirst();
  return r
    ? { id: r.id, target: r.target, codeHash: r.code_hash, expiresAt: r.expires_at, attemptsLeft: r.attempts_left }
    : null;
}

export async function spendCodeAttempt(ex: Executor, id: number): Promise<void> {
  await ex
    .updateTable("verification_code")
    .set((eb) => ({ attempts_left: eb("attempts_left", "-", 1) }))
    .where("id", "=", id)
    .execute();
}

export async function consumeCode(ex: Executor, id: number, now: string): Promise<boolean> {
  const r = await ex
    .updateTable("verification_code")
    .set({ consumed_at: now })
    .where("id", "=", id)
    .where("consumed_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
