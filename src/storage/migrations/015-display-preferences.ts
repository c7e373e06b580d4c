import type { DialectName } from "../database.js";
import { type AnyDb, createIndexes } from "./schema-kit.js";

/**
 * How an account's mailbox is shown (the « Affichage » section of Paramètres), kept with its mail
 * settings: the reading pane (`right` or `off`), the list grouped by conversation, the list's
 * density (`comfortable` or `compact`) and the messages' size shown. Accounts without a settings
 * row, or with one from before, get the defaults below.
 *
 * The list grouped by conversation finds, for each message of a folder, whether a newer message of
 * its conversation is in that folder, and counts a conversation's messages (and unread ones) in it:
 * one index on (folder, thread, id, seen) answers all three from the index alone.
 */
export async function up(db: AnyDb, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable("mail_settings")
    .addColumn("reading_pane", "text", (c) => c.notNull().defaultTo("right"))
    .execute();
  await db.schema
    .alterTable("mail_settings")
    .addColumn("group_by_conversation", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("mail_settings")
    .addColumn("list_density", "text", (c) => c.notNull().defaultTo("comfortable"))
    .execute();
  await db.schema
    .alterTable("mail_settings")
    .addColumn("show_size", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await createIndexes(db, "mail_message", { mail_message_folder_thread_idx: ["folder_id", "thread_id", "id", "seen"] });
}
