/** The console's WebAuthn storage: credentials and single-use challenges (migration 020). */
import type { Kysely, Transaction } from "kysely";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema> | Transaction<Schema>;

export function credentialsOf(ex: Executor, accountId: number) {
  return ex
    .selectFrom("console_webauthn_credential")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

export async function countCredentials(ex: Executor, accountId: number): Promise<number> {
  const row = await ex
    .selectFrom("console_webauthn_credential")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export function credentialByCredentialId(ex: Executor, accountId: number, credentialId: string) {
  return ex
    .selectFrom("console_webauthn_credential")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("credential_id", "=", credentialId)
    .executeTakeFirst();
}

/** Whether a credential id is registered already (to any account). */
export async function credentialIdTaken(ex: Executor, credentialId: string): Promise<boolean> {
  const row = await ex
    .selectFrom("console_webauthn_credential")
    .select("id")
    .where("credential_id", "=", credentialId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertCredential(
  ex: Executor,
  values: {
    accountId: number;
    credentialId: string;
    publicKey: string;
    signCount: number;
    transports: string;
    name: string;
    now: string;
  },
): Promise<number> {
  const row = await ex
    .insertInto("console_webauthn_credential")
    .values({
      account_id: values.accountId,
      credential_id: values.credentialId,
      public_key: values.publicKey,
      sign_count: values.signCount,
      transports: values.transports,
      name: values.name,
      created_at: values.now,
      last_used_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Records a use: the new counter, only if it is still later than the one stored (or both are 0,
 * an authenticator that keeps no counter) — false when another request went first.
 */
export async function recordUse(
  ex: Executor,
  id: number,
  previous: number,
  next: number,
  now: string,
): Promise<boolean> {
  const result = await ex
    .updateTable("console_webauthn_credential")
    .set({ sign_count: next, last_used_at: now })
    .where("id", "=", id)
    .where("sign_count", "=", previous)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteCredential(ex: Executor, accountId: number, id: number): Promise<boolean> {
  const result = await ex
    .deleteFrom("console_webauthn_credential")
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Hands out a challenge (replacing the session's previous one for that purpose); expired ones go. */
export async function putChallenge(
  ex: Executor,
  values: {
    sessionHash: string;
    purpose: string;
    challenge: string;
    accountId: number;
    expiresAt: string;
    now: string;
  },
): Promise<void> {
  await ex.deleteFrom("console_webauthn_challenge").where("expires_at", "<=", values.now).execute();
  await ex
    .deleteFrom("console_webauthn_challenge")
    .where("session_hash", "=", values.sessionHash)
    .where("purpose", "=", values.purpose)
    .execute();
  await ex
    .insertInto("console_webauthn_challenge")
    .values({
      session_hash: values.sessionHash,
      purpose: values.purpose,
      challenge: values.challenge,
      account_id: values.accountId,
      expires_at: values.expiresAt,
    })
    .execute();
}

/**
 * Takes the session's live challenge for a purpose, once: it is deleted here, and only the request
 * that deleted it gets it (two requests racing with one response cannot both pass).
 */
export async function takeChallenge(
  ex: Executor,
  sessionHash: string,
  purpose: string,
  accountId: number,
  now: string,
): Promise<string | null> {
  const row = await ex
    .selectFrom("console_webauthn_challenge")
    .select(["challenge", "expires_at"])
    .where("session_hash", "=", sessionHash)
    .where("purpose", "=", purpose)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) return null;
  const result = await ex
    .deleteFrom("console_webauthn_challenge")
    .where("session_hash", "=", sessionHash)
    .where("purpose", "=", purpose)
    .where("challenge", "=", row.challenge)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0 || row.expires_at <= now) return null;
  return row.challenge;
}
