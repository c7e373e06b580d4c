/** The only place that writes SQL for the webmail's settings and the auto-replies sent. */
import type { Kysely, Selectable, Transaction } from "kysely";
import type { MailSettingsTable, Schema } from "../storage/schema.js";

type Executor = Kysely<Schema> | Transaction<Schema>;
export type MailSettingsRow = Selectable<MailSettingsTable>;

export interface MailSettingsValues {
  readonly signature: string;
  readonly awayEnabled: boolean;
  readonly awayStart: string | null;
  readonly awayEnd: string | null;
  readonly awaySubject: string;
  readonly awayText: string;
  readonly forwardAddress: string | null;
  readonly forwardKeepCopy: boolean;
}

export async function settingsOf(ex: Executor, accountId: number): Promise<MailSettingsRow | null> {
  const row = await ex.selectFrom("mail_settings").selectAll().where("account_id", "=", accountId).executeTakeFirst();
  return row ?? null;
}

export async function settingsOfMany(ex: Executor, accountIds: readonly number[]): Promise<MailSettingsRow[]> {
  if (accountIds.length === 0) return [];
  return ex
    .selectFrom("mail_settings")
    .selectAll()
    .where("account_id", "in", [...accountIds])
    .execute();
}

export async function saveSettings(ex: Executor, accountId: number, v: MailSettingsValues, now: string): Promise<void> {
  const values = {
    signature: v.signature,
    away_enabled: v.awayEnabled ? 1 : 0,
    away_start: v.awayStart,
    away_end: v.awayEnd,
    away_subject: v.awaySubject,
    away_text: v.awayText,
    forward_address: v.forwardAddress,
    forward_keep_copy: v.forwardKeepCopy ? 1 : 0,
    updated_at: now,
  };
  await ex
    .insertInto("mail_settings")
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(values))
    .execute();
}

/** How an account's mailbox is shown, as stored (migration 015); null when the account has no settings row. */
export interface DisplayRow {
  readonly reading_pane: string;
  readonly group_by_conversation: number;
  readonly list_density: string;
  readonly show_size: number;
}

export interface DisplayValues {
  readonly readingPane: string;
  readonly groupByConversation: boolean;
  readonly density: string;
  readonly showSize: boolean;
}

/** One read by primary key, of the display columns only (every mailbox page asks). */
export async function displayOf(ex: Executor, accountId: number): Promise<DisplayRow | null> {
  const row = await ex
    .selectFrom("mail_settings")
    .select(["reading_pane", "group_by_conversation", "list_density", "show_size"])
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return row ?? null;
}

/** Saves the display columns only; a new row gets the other settings' defaults. */
export async function saveDisplay(ex: Executor, accountId: number, v: DisplayValues, now: string): Promise<void> {
  const values = {
    reading_pane: v.readingPane,
    group_by_conversation: v.groupByConversation ? 1 : 0,
    list_density: v.density,
    show_size: v.showSize ? 1 : 0,
    updated_at: now,
  };
  await ex
    .insertInto("mail_settings")
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(values))
    .execute();
}

/**
 * Turns an account's forwarding off; returns what it was (null when it was off). Run in a
 * transaction: the row is read, then written.
 */
export async function clearForwarding(
  ex: Executor,
  accountId: number,
  now: string,
): Promise<{ address: string; keepCopy: boolean } | null> {
  const row = await ex
    .selectFrom("mail_settings")
    .select(["forward_address", "forward_keep_copy"])
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row?.forward_address) return null;
  await ex
    .updateTable("mail_settings")
    .set({ forward_address: null, forward_keep_copy: 1, updated_at: now })
    .where("account_id", "=", accountId)
    .execute();
  return { address: row.forward_address, keepCopy: row.forward_keep_copy === 1 };
}

/**
 * Claims the right to answer `sender` now: true when no auto-reply went to that sender since
 * `notBefore` (the row is then written or moved to `now` in the same statement, so that two
 * deliveries at once cannot both answer).
 */
export async function claimAutoReply(
  ex: Executor,
  accountId: number,
  sender: string,
  now: string,
  notBefore: string,
): Promise<boolean> {
  const row = await ex
    .insertInto("mail_auto_reply")
    .values({ account_id: accountId, sender, sent_at: now })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "sender"])
        .doUpdateSet({ sent_at: now })
        .where("mail_auto_reply.sent_at", "<", notBefore),
    )
    .returning("account_id")
    .executeTakeFirst();
  return row !== undefined;
}
