import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

/**
 * The console's WebAuthn second factor (security keys, passkeys), beside TOTP: the credentials an
 * account registered (the id and COSE public key in base64url, the signature counter, the
 * transports, the name the person gave, created and last used), and the challenges handed out
 * (single-use, a few minutes, bound to the console session that asked for them — kept in the
 * database so that any instance can check them).
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { serialId, big } = columnTypes(dialect);
  await db.schema
    .createTable("console_webauthn_credential")
    .addColumn("id", serialId)
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("credential_id", "public_key", "transports", "name", "created_at"))
    .addColumn("sign_count", big, (c) => c.notNull().defaultTo(0))
    .addColumn("last_used_at", "text")
    .addUniqueConstraint("console_webauthn_credential_id_uq", ["credential_id"])
    .execute();
  await createIndexes(db, "console_webauthn_credential", { console_webauthn_credential_account_idx: ["account_id"] });
  await db.schema
    .createTable("console_webauthn_challenge")
    // The console session's id hash (never the token) and what the challenge is for.
    .$call(requiredText("session_hash", "purpose", "challenge", "expires_at"))
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .addPrimaryKeyConstraint("console_webauthn_challenge_pk", ["session_hash", "purpose"])
    .execute();
  await createIndexes(db, "console_webauthn_challenge", { console_webauthn_challenge_expiry_idx: ["expires_at"] });
}
