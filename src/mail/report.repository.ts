/** The only SQL of the phishing reports (`phishing_report`, migration 012). */
import { type Kysely, sql, type Transaction } from "kysely";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema> | Transaction<Schema>;

export interface NewReport {
  readonly accountId: number;
  readonly messageId: string;
  readonly senderDomain: string;
  readonly reportedAt: string;
}

export async function insertReport(ex: Executor, report: NewReport): Promise<void> {
  await ex
    .insertInto("phishing_report")
    .values({
      account_id: report.accountId,
      message_id: report.messageId,
      sender_domain: report.senderDomain,
      reported_at: report.reportedAt,
    })
    .execute();
}

export interface ReportGroupRow {
  readonly messageId: string;
  readonly senderDomain: string;
  /** Accounts that reported it (each counted once). */
  readonly reporters: number;
  readonly firstAt: string;
  readonly lastAt: string;
}

/** The reports grouped by Message-ID, the latest reported first; `since`: ISO time. */
export async function reportGroups(ex: Executor, filter: { since?: string; limit: number }): Promise<ReportGroupRow[]> {
  let q = ex
    .selectFrom("phishing_report")
    .select((eb) => [
      "message_id",
      eb.fn.min("sender_domain").as("sender_domain"),
      eb.fn.count<number>("account_id").distinct().as("reporters"),
      eb.fn.min("reported_at").as("first_at"),
      eb.fn.max("reported_at").as("last_at"),
    ]);
  if (filter.since !== undefined) q = q.where("reported_at", ">=", filter.since);
  const rows = await q
    .groupBy("message_id")
    .orderBy(sql`max(reported_at)`, "desc")
    .orderBy("message_id")
    .limit(filter.limit)
    .execute();
  return rows.map((r) => ({
    messageId: r.message_id,
    senderDomain: r.sender_domain,
    reporters: Number(r.reporters),
    firstAt: r.first_at,
    lastAt: r.last_at,
  }));
}
