/** The console's storage: roles, TOTP second factors and recovery codes (migration 018). */
import type { Kysely, Transaction } from "kysely";
import type { Schema } from "../storage/schema.js";
import type { ConsoleRole } from "./console.types.js";

type Executor = Kysely<Schema> | Transaction<Schema>;

export async function rolesOf(ex: Executor, accountId: number): Promise<string[]> {
  const rows = await ex.selectFrom("console_role").select("role").where("account_id", "=", accountId).execute();
  return rows.map((r) => r.role);
}

/** Grants a role; false when the account held it already. */
export async function grantRole(
  ex: Executor,
  accountId: number,
  role: ConsoleRole,
  by: string,
  now: string,
): Promise<boolean> {
  const result = await ex
    .insertInto("console_role")
    .values({ account_id: accountId, role, granted_at: now, granted_by: by })
    .onConflict((oc) => oc.columns(["account_id", "role"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Revokes a role; false when the account did not hold it. */
export async function revokeRole(ex: Executor, accountId: number, role: ConsoleRole): Promise<boolean> {
  const result = await ex
    .deleteFrom("console_role")
    .where("account_id", "=", accountId)
    .where("role", "=", role)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export function listRoles(ex: Executor) {
  return ex
    .selectFrom("console_role")
    .innerJoin("account", "account.id", "console_role.account_id")
    .select([
      "console_role.account_id as accountId",
      "account.username as username",
      "console_role.role as role",
      "console_role.granted_at as grantedAt",
      "console_role.granted_by as grantedBy",
    ])
    .orderBy("account.username")
    .orderBy("console_role.role")
    .execute();
}

export function totpOf(ex: Executor, accountId: number) {
  return ex.selectFrom("console_totp").selectAll().where("account_id", "=", accountId).executeTakeFirst();
}

/** A new secret for an enrolment not finished (replacing one not confirmed). */
export async function startTotp(ex: Executor, accountId: number, sealed: string, now: string): Promise<void> {
  await ex.deleteFrom("console_totp").where("account_id", "=", accountId).where("confirmed_at", "is", null).execute();
  await ex
    .insertInto("console_totp")
    .values({ account_id: accountId, secret_sealed: sealed, created_at: now, confirmed_at: null, last_step: 0 })
    .onConflict((oc) => oc.column("account_id").doNothing())
    .execute();
}

/**
 * Records the time step of an accepted code, only if it is later than the last one: false when
 * another request accepted this step (or a later one) first — the code was replayed.
 */
export async function acceptStep(
  ex: Executor,
  accountId: number,
  step: number,
  confirmAt: string | null,
): Promise<boolean> {
  let q = ex
    .updateTable("console_totp")
    .set({ last_step: step })
    .where("account_id", "=", accountId)
    .where("last_step", "<", step);
  if (confirmAt !== null) q = q.set({ confirmed_at: confirmAt });
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function replaceRecoveryCodes(
  ex: Executor,
  accountId: number,
  hashes: readonly string[],
  now: string,
): Promise<void> {
  await ex.deleteFrom("console_recovery_code").where("account_id", "=", accountId).execute();
  await ex
    .insertInto("console_recovery_code")
    .values(hashes.map((code_hash) => ({ account_id: accountId, code_hash, created_at: now, used_at: null })))
    .execute();
}

/** Uses a recovery code once: false when it does not exist or was used. */
export async function useRecoveryCode(ex: Executor, accountId: number, hash: string, now: string): Promise<boolean> {
  const result = await ex
    .updateTable("console_recovery_code")
    .set({ used_at: now })
    .where("account_id", "=", accountId)
    .where("code_hash", "=", hash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function recoveryCodesLeft(ex: Executor, accountId: number): Promise<number> {
  const row = await ex
    .selectFrom("console_recovery_code")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
