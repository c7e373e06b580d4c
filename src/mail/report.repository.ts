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

/** Which reports the security team's list shows: `since`/`until` ISO times ([since, until)), the exact sender domain. */
export interface ReportFilter {
  readonly since?: string;
  readonly until?: string;
  readonly senderDomain?: string;
}

export interface ReportRow {
  readonly id: number;
  readonly accountId: number;
  readonly messageId: string;
  readonly senderDomain: string;
  readonly reportedAt: string;
}

function filtered(ex: Executor, filter: ReportFilter) {
  let q = ex.selectFrom("phishing_report");
  if (filter.since !== undefined) q = q.where("reported_at", ">=", filter.since);
  if (filter.until !== undefined) q = q.where("reported_at", "<", filter.until);
  if (filter.senderDomain !== undefined) q = q.where("sender_domain", "=", filter.senderDomain);
  return q;
}

/** One page of the reports, the latest first. */
export async function reportPage(
  ex: Executor,
  filter: ReportFilter,
  page: { offset: number; limit: number },
): Promise<ReportRow[]> {
  const rows = await filtered(ex, filter)
    .select(["id", "account_id", "message_id", "sender_domain", "reported_at"])
    .orderBy("reported_at", "desc")
    .orderBy("id", "desc")
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map(toReportRow);
}

export async function countReports(ex: Executor, filter: ReportFilter): Promise<number> {
  const row = await filtered(ex, filter)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function reportById(ex: Executor, id: number): Promise<ReportRow | null> {
  const row = await ex
    .selectFrom("phishing_report")
    .select(["id", "account_id", "message_id", "sender_domain", "reported_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toReportRow(row) : null;
}

/** How many accounts reported each of these Message-IDs. */
export async function reporterCounts(ex: Executor, messageIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (messageIds.length === 0) return out;
  const rows = await ex
    .selectFrom("phishing_report")
    .select((eb) => ["message_id", eb.fn.count<number>("account_id").distinct().as("n")])
    .where("message_id", "in", [...new Set(messageIds)])
    .groupBy("message_id")
    .execute();
  for (const r of rows) out.set(r.message_id, Number(r.n));
  return out;
}

function toReportRow(r: {
  id: number;
  account_id: number;
  message_id: string;
  sender_domain: string;
  reported_at: string;
}): ReportRow {
  return {
    id: Number(r.id),
    accountId: r.account_id,
    messageId: r.message_id,
    senderDomain: r.sender_domain,
    reportedAt: r.reported_at,
  };
}
