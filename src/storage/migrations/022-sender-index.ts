import { sql } from "kysely";
import type { DialectName } from "../database.js";
import type { AnyDb } from "./schema-kit.js";

/**
 * The security team's quarantine by sender (issue 16, §4): every message from an address, case
 * folded, across every mailbox — without this index a scan of every message of the académie, in the
 * middle of a phishing campaign. (The copies of a message by its Message-ID have had their index since
 * migration 012.)
 */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await sql`create index mail_message_sender_idx on mail_message (lower(from_address))`.execute(db);
}
