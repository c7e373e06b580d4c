/** The only SQL of the outbox: messages that left through no relay, read back with `sesame outbox`. */
import type { Kysely } from "kysely";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema>;

export interface OutboxRow {
  readonly id: number;
  readonly createdAt: string;
  readonly recipient: string;
  readonly subject: string;
  readonly textBody: string;
  readonly raw: string;
}

export async function insertOutboxMessage(ex: Executor, message: Omit<OutboxRow, "id">): Promise<number> {
  const row = await ex
    .insertInto("outbox_message")
    .values({
      created_at: message.createdAt,
      recipient: message.recipient,
      subject: message.subject,
      text_body: message.textBody,
      raw: message.raw,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Newest first; `recipient` is compared as stored (the service stores addresses in lower case). */
export async function selectOutboxMessages(
  ex: Executor,
  filter: { recipient?: string; limit: number },
): Promise<OutboxRow[]> {
  let q = ex.selectFrom("outbox_message").selectAll();
  if (filter.recipient !== undefined) q = q.where("recipient", "=", filter.recipient);
  const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").limit(filter.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    createdAt: r.created_at,
    recipient: r.recipient,
    subject: r.subject,
    textBody: r.text_body,
    raw: r.raw,
  }));
}
