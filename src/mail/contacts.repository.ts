/** The only place that writes SQL for the address book. */
import { type Kysely, type Selectable, sql } from "kysely";
import { likePrefix } from "../storage/like.js";
import type { ContactTable, Schema } from "../storage/schema.js";

type Executor = Kysely<Schema>;
export type ContactRow = Selectable<ContactTable>;

/** The account's address book (a query to select from). */
const accountContacts = (ex: Executor, accountId: number) =>
  ex.selectFrom("contact").where("account_id", "=", accountId);

export function contactsOf(ex: Executor, accountId: number): Promise<ContactRow[]> {
  return accountContacts(ex, accountId).selectAll().orderBy("name").orderBy("address").execute();
}

export async function contactById(ex: Executor, accountId: number, id: number): Promise<ContactRow | null> {
  const row = await accountContacts(ex, accountId).selectAll().where("id", "=", id).executeTakeFirst();
  return row ?? null;
}

export async function contactByAddress(ex: Executor, accountId: number, address: string): Promise<ContactRow | null> {
  const row = await accountContacts(ex, accountId).selectAll().where("address", "=", address).executeTakeFirst();
  return row ?? null;
}

export async function countContacts(ex: Executor, accountId: number): Promise<number> {
  const row = await accountContacts(ex, accountId)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertContact(
  ex: Executor,
  accountId: number,
  name: string,
  address: string,
  now: string,
): Promise<number> {
  const row = await ex
    .insertInto("contact")
    .values({ account_id: accountId, name, address, created_at: now, updated_at: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateContact(
  ex: Executor,
  id: number,
  name: string,
  address: string,
  now: string,
): Promise<void> {
  await ex.updateTable("contact").set({ name, address, updated_at: now }).where("id", "=", id).execute();
}

export async function deleteContact(ex: Executor, accountId: number, id: number): Promise<number> {
  const result = await ex
    .deleteFrom("contact")
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Entries whose name or address starts with `prefix` (lower case), for suggestions. */
export function suggestContacts(ex: Executor, accountId: number, prefix: string, limit: number): Promise<ContactRow[]> {
  const pattern = likePrefix(prefix);
  return accountContacts(ex, accountId)
    .selectAll()
    .where((eb) =>
      eb.or([sql<boolean>`address like ${pattern} escape '\\'`, sql<boolean>`lower(name) like ${pattern} escape '\\'`]),
    )
    .orderBy("name")
    .limit(limit)
    .execute();
}
