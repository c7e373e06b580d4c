import { sql } from "kysely";
import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes } from "./schema-kit.js";

/**
 * What IMAP clients need of the store (RFC 9051, RFC 7162):
 * - per folder a UIDVALIDITY, the next UID and the highest MODSEQ, and whether the user subscribed;
 * - per message its UID in its folder (strictly increasing, never reused in that folder), the MODSEQ of
 *   its last change, its keywords ($Forwarded, $Junk…, space-separated) and its MIME structure, computed
 *   once at the first FETCH that needs it (JSON, on the body shared by every copy);
 * - per folder the UIDs that left it, with the MODSEQ of their going (QRESYNC's VANISHED, and what an
 *   IDLE client is told), pruned by age (`vanished_floor`: the MODSEQ below which the log is gone).
 * Existing messages get UIDs in their id order, so that the webmail's order and the UIDs agree.
 */
export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { bigserialId, big } = columnTypes(dialect);
  const now = Math.floor(Date.now() / 1000);

  await db.schema
    .alterTable("mail_folder")
    .addColumn("uid_validity", big, (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .alterTable("mail_folder")
    .addColumn("uid_next", big, (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable("mail_folder")
    .addColumn("highest_modseq", big, (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable("mail_folder")
    .addColumn("subscribed", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  // Below this MODSEQ the departures log was pruned: a client that knew less must be told by difference.
  await db.schema
    .alterTable("mail_folder")
    .addColumn("vanished_floor", big, (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .alterTable("mail_message")
    .addColumn("uid", big, (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("mail_message")
    .addColumn("modseq", big, (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable("mail_message")
    .addColumn("keywords", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema.alterTable("mail_blob").addColumn("mime_tree", "text").execute();

  // UIDs for the messages already stored: their rank in their folder, in id order.
  await sql`update mail_message set uid = ranked.rank from (
      select id, row_number() over (partition by folder_id order by id) as rank from mail_message
    ) as ranked where ranked.id = mail_message.id`.execute(db);
  await sql`update mail_folder set uid_next = 1 + coalesce(
      (select max(uid) from mail_message m where m.folder_id = mail_folder.id), 0)`.execute(db);

  await sql`create unique index mail_message_folder_uid_idx on mail_message (folder_id, uid)`.execute(db);
  await sql`create index mail_message_folder_modseq_idx on mail_message (folder_id, modseq)`.execute(db);

  await db.schema
    .createTable("mail_vanished")
    .addColumn("id", bigserialId)
    .addColumn("folder_id", big, (c) => c.notNull())
    .addColumn("uid", big, (c) => c.notNull())
    .addColumn("modseq", big, (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .execute();
  await createIndexes(db, "mail_vanished", { mail_vanished_folder_idx: ["folder_id", "modseq"] });
}
