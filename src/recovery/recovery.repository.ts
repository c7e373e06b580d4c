/** The only SQL of the recovery module: single-use reset links and one-time codes. */
import type { Kysely, Transaction, UpdateResult } from "kysely";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema> | Transaction<Schema>;

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

/** Whether a conditional UPDATE changed its one row (false: the condition no longer held, a race lost). */
function updatedOne(result: UpdateResult): boolean {
  return Number(result.numUpdatedRows) === 1;
}

/** An UPDATE of the tokens still live (neither used nor cancelled). */
const updateLiveResetTokens = (ex: Executor) =>
  ex.updateTable("reset_token").where("used_at", "is", null).where("cancelled_at", "is", null);

/** Marks a live token used; false when it was not live any more (used, cancelled) — a race lost. */
export async function markResetTokenUsed(ex: Executor, tokenHash: string, now: string): Promise<boolean> {
  return updatedOne(
    await updateLiveResetTokens(ex).set({ used_at: now }).where("token_hash", "=", tokenHash).executeTakeFirst(),
  );
}

/** Cancels every live token of an account (a newer link, or a password change). */
export async function cancelResetTokens(ex: Executor, accountId: number, now: string): Promise<void> {
  await updateLiveResetTokens(ex).set({ cancelled_at: now }).where("account_id", "=", accountId).execute();
}

export interface StoredCode {
  readonly id: number;
  readonly target: string;
  readonly codeHash: string;
  readonly expiresAt: string;
  readonly attemptsLeft: number;
}

/** An UPDATE that marks codes not consumed yet as consumed at `now`. */
const consumeCodes = (ex: Executor, now: string) =>
  ex.updateTable("verification_code").set({ consumed_at: now }).where("consumed_at", "is", null);

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
  await consumeCodes(ex, c.createdAt).where("account_id", "=", c.accountId).where("purpose", "=", c.purpose).execute();
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

/** Consumes a code; false when it already was (a race lost). */
export async function consumeCode(ex: Executor, id: number, now: string): Promise<boolean> {
  return updatedOne(await consumeCodes(ex, now).where("id", "=", id).executeTakeFirst());
}

/** A change (or removal) of a recovery address, kept so that the previous address stays in the loop for 7 days. */
export interface RecoveryEmailChange {
  readonly id: number;
  readonly accountId: number;
  readonly previousEmail: string | null;
  readonly newEmail: string | null;
  readonly changedAt: string;
  readonly cancelledAt: string | null;
}

type ChangeRow = {
  id: number;
  account_id: number;
  previous_email: string | null;
  new_email: string | null;
  changed_at: string;
  cancelled_at: string | null;
};

function toChange(r: ChangeRow): RecoveryEmailChange {
  return {
    id: r.id,
    accountId: r.account_id,
    previousEmail: r.previous_email,
    newEmail: r.new_email,
    changedAt: r.changed_at,
    cancelledAt: r.cancelled_at,
  };
}

export async function insertRecoveryEmailChange(
  ex: Executor,
  c: {
    accountId: number;
    previousEmail: string | null;
    newEmail: string | null;
    changedAt: string;
    cancelHash: string | null;
  },
): Promise<void> {
  await ex
    .insertInto("recovery_email_change")
    .values({
      account_id: c.accountId,
      previous_email: c.previousEmail,
      new_email: c.newEmail,
      changed_at: c.changedAt,
      cancel_hash: c.cancelHash,
      cancelled_at: null,
    })
    .execute();
}

/** The account's changes made since `since` and not cancelled, oldest first. */
export async function recentRecoveryEmailChanges(
  ex: Executor,
  accountId: number,
  since: string,
): Promise<RecoveryEmailChange[]> {
  const rows = await ex
    .selectFrom("recovery_email_change")
    .select(["id", "account_id", "previous_email", "new_email", "changed_at", "cancelled_at"])
    .where("account_id", "=", accountId)
    .where("changed_at", ">", since)
    .where("cancelled_at", "is", null)
    .orderBy("id")
    .execute();
  return rows.map(toChange);
}

/** The accounts whose recovery address was `email` until a change made since `since` (not cancelled). */
export async function accountIdsByPreviousRecoveryEmail(ex: Executor, email: string, since: string): Promise<number[]> {
  const rows = await ex
    .selectFrom("recovery_email_change")
    .select("account_id")
    .distinct()
    .where("previous_email", "=", email)
    .where("changed_at", ">", since)
    .where("cancelled_at", "is", null)
    .limit(10)
    .execute();
  return rows.map((r) => r.account_id);
}

export async function findRecoveryEmailChangeByCancelHash(
  ex: Executor,
  cancelHash: string,
): Promise<RecoveryEmailChange | null> {
  const r = await ex
    .selectFrom("recovery_email_change")
    .select(["id", "account_id", "previous_email", "new_email", "changed_at", "cancelled_at"])
    .where("cancel_hash", "=", cancelHash)
    .executeTakeFirst();
  return r ? toChange(r) : null;
}

/** An UPDATE that cancels, at `now`, changes not cancelled yet. */
const cancelChanges = (ex: Executor, now: string) =>
  ex.updateTable("recovery_email_change").set({ cancelled_at: now }).where("cancelled_at", "is", null);

/** Marks a change cancelled; false when it already was (a race lost). */
export async function markRecoveryEmailChangeCancelled(ex: Executor, id: number, now: string): Promise<boolean> {
  return updatedOne(await cancelChanges(ex, now).where("id", "=", id).executeTakeFirst());
}

/** An external reset request waiting to be worked on. */
export interface PendingResetRequest {
  readonly id: number;
  readonly identifier: string;
  readonly ip: string;
  readonly userAgent: string;
}

export async function insertResetRequest(
  ex: Executor,
  r: { identifier: string; ip: string; userAgent: string; createdAt: string },
): Promise<void> {
  await ex
    .insertInto("reset_request")
    .values({
      identifier: r.identifier,
      ip: r.ip,
      user_agent: r.userAgent,
      created_at: r.createdAt,
      claimed_until: null,
    })
    .execute();
}

/**
 * Takes the oldest request that nobody holds (or whose holder's lease ran out: an instance that
 * stopped), with a conditional UPDATE so that two workers never take the same one.
 */
export async function claimResetRequest(
  ex: Executor,
  now: string,
  leaseUntil: string,
): Promise<PendingResetRequest | null> {
  for (let tries = 0; tries < 5; tries++) {
    const r = await ex
      .selectFrom("reset_request")
      .select(["id", "identifier", "ip", "user_agent", "claimed_until"])
      .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", now)]))
      .orderBy("id")
      .executeTakeFirst();
    if (!r) return null;
    let q = ex.updateTable("reset_request").set({ claimed_until: leaseUntil }).where("id", "=", r.id);
    q =
      r.claimed_until === null ? q.where("claimed_until", "is", null) : q.where("claimed_until", "=", r.claimed_until);
    if (updatedOne(await q.executeTakeFirst())) {
      return { id: r.id, identifier: r.identifier, ip: r.ip, userAgent: r.user_agent };
    }
  }
  return null;
}

export async function deleteResetRequest(ex: Executor, id: number): Promise<void> {
  await ex.deleteFrom("reset_request").where("id", "=", id).execute();
}

/** Cancels the change `id` and every later one of the account; false when `id` was already cancelled. */
export async function cancelRecoveryEmailChangesFrom(
  ex: Executor,
  accountId: number,
  id: number,
  now: string,
): Promise<boolean> {
  if (!(await markRecoveryEmailChangeCancelled(ex, id, now))) return false;
  await cancelChanges(ex, now).where("account_id", "=", accountId).where("id", ">", id).execute();
  return true;
}
