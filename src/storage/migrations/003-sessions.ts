import type { DialectName } from "../database.js";
import { type AnyDb, createIndexes, requiredText } from "./schema-kit.js";

/** Server-side sessions (used when Redis is not configured). */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable("session")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("account_id", "integer", (c) => c.notNull().references("account.id"))
    .$call(requiredText("kind", "created_at", "last_seen_at", "expires_at", "ip", "user_agent"))
    .execute();
  await createIndexes(db, "session", {
    session_account_idx: ["account_id"],
    session_expires_idx: ["expires_at"],
  });
}
