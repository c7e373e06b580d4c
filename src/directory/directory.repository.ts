/** The only place that writes SQL for people, establishments and accounts. */
import { type ExpressionBuilder, type Kysely, type Selectable, sql } from "kysely";
import { compiledOnce } from "../storage/compiled-query.js";
import type { DialectName } from "../storage/database.js";
import { likePrefix } from "../storage/like.js";
import type { AccountTable, PersonTable, Schema } from "../storage/schema.js";
import { type PersonSearchKeys, personSearchKeys } from "../storage/search-text.js";
import type { Account, Person, PersonStatus, StaffRecord, StoredCredentials } from "./directory.types.js";
import { insertSearchTerms, replaceSearchTerms } from "./people-search.repository.js";

export type Executor = Kysely<Schema>;
type PersonRow = Selectable<PersonTable>;
type AccountRow = Selectable<AccountTable>;

const BATCH = 500;

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Compiled multi-row INSERTs by dialect, table, columns and row count (a few entries, bounded). */
const insertTemplates = new Map<string, string>();
const TEMPLATE_MIN_ROWS = 50;

type BulkTable = "person" | "account";
type Column<T extends BulkTable> = keyof Schema[T] & string;

/**
 * A multi-row INSERT … RETURNING. Kysely builds and compiles a syntax tree with a node per value;
 * for the 100,000-row HR import that was a third of all allocations (and much of the garbage that
 * V8 promoted to its old space), so a batch reuses the SQL compiled for the first batch of its size
 * and passes its own parameters. Values are given in `columns` order; a few rows go through Kysely.
 */
async function insertRows<T extends BulkTable, Out>(
  ex: Executor,
  table: T,
  columns: readonly Column<T>[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
  returning: readonly Column<T>[],
): Promise<Out[]> {
  const compile = (n: number) =>
    ex
      .insertInto(table)
      // Every value is a primitive, so each one compiles to one parameter, in row then column order.
      .values(rows.slice(0, n).map((row) => Object.fromEntries(columns.map((c, j) => [c, row[j] ?? null]))) as never)
      .returning(returning as never)
      .compile();
  if (rows.length < TEMPLATE_MIN_ROWS) return (await ex.executeQuery<Out>(compile(rows.length))).rows;
  const probe = compile(1);
  if (probe.parameters.length !== columns.length) throw new Error(`unexpected INSERT parameters for ${table}`);
  const key = `${probe.sql}#${rows.length}`;
  let text = insertTemplates.get(key);
  if (text === undefined) {
    text = compile(rows.length).sql;
    if (insertTemplates.size >= 32) insertTemplates.clear();
    insertTemplates.set(key, text);
  }
  // A compiled query is plain data: the probe's, with the batch's SQL and parameters. (Not
  // CompiledQuery.raw: this module only imports kysely's types, so that checking a file is light.)
  return (await ex.executeQuery<Out>({ ...probe, sql: text, parameters: rows.flat() })).rows;
}

export function toPerson(r: PersonRow): Person {
  return {
    id: r.id,
    civilite: r.civilite,
    nom: r.nom,
    prenom: r.prenom,
    birthDate: r.birth_date,
    categorie: r.categorie,
    uai: r.uai,
    status: r.status,
  };
}

/** Runs `select` on each batch of `keys` and collects the rows it returns, as `entry` keys them. */
async function selectInBatches<K, Row, V>(
  keys: readonly K[],
  select: (part: K[]) => Promise<Row[]>,
  entry: (row: Row) => [K, V],
): Promise<Map<K, V>> {
  const out = new Map<K, V>();
  for (const part of chunks(keys)) {
    if (part.length === 0) continue;
    for (const row of await select(part)) out.set(...entry(row));
  }
  return out;
}

export interface StoredPerson extends Person {
  readonly numenHash: string;
}

export function findPersonsByNumenHashes(ex: Executor, hashes: readonly string[]): Promise<Map<string, StoredPerson>> {
  return selectInBatches(
    hashes,
    (part) => ex.selectFrom("person").selectAll().where("numen_hash", "in", part).execute(),
    (r) => [r.numen_hash, { ...toPerson(r), numenHash: r.numen_hash }],
  );
}

export async function findPersonByNumenHash(ex: Executor, hash: string): Promise<StoredPerson | null> {
  return (await findPersonsByNumenHashes(ex, [hash])).get(hash) ?? null;
}

/** How rows of one kind are inserted in bulk (see insertRows). */
interface BulkInsert<T extends BulkTable, Item> {
  readonly table: T;
  readonly columns: readonly Column<T>[];
  /** The values of an item, in `columns` order. */
  readonly values: (item: Item, now: string) => ReadonlyArray<string | number | null>;
  /** A unique text column: the new ids come back by its value. */
  readonly key: Column<T>;
}

/** A function that inserts items in batches and returns their new ids by the value of `spec.key`. */
function bulkInsert<T extends BulkTable, Item>(spec: BulkInsert<T, Item>) {
  return async (ex: Executor, items: readonly Item[], now: string): Promise<Map<string, number>> => {
    const ids = new Map<string, number>();
    for (const part of chunks(items)) {
      const rows = await insertRows<T, { id: number } & Record<string, string>>(
        ex,
        spec.table,
        spec.columns,
        part.map((item) => spec.values(item, now)),
        ["id", spec.key],
      );
      for (const r of rows) ids.set(r[spec.key] as string, r.id);
    }
    return ids;
  };
}

const insertPersonRows = bulkInsert<"person", { record: StaffRecord; keys: PersonSearchKeys }>({
  table: "person",
  columns: [
    "numen_hash",
    "civilite",
    "nom",
    "prenom",
    "search_name",
    "birth_date",
    "categorie",
    "uai",
    "status",
    "created_at",
    "updated_at",
  ],
  values: ({ record: r, keys }, now) => [
    r.numenHash,
    r.civilite,
    r.nom,
    r.prenom,
    keys.name,
    r.birthDate,
    r.categorie,
    r.uai,
    "active",
    now,
    now,
  ],
  key: "numen_hash",
});

/** Inserts people (active) with their search terms; their new ids by NUMEN hash. */
export async function insertPersons(
  ex: Executor,
  records: readonly StaffRecord[],
  now: string,
): Promise<Map<string, number>> {
  const items = records.map((record) => ({ record, keys: personSearchKeys(record.nom, record.prenom) }));
  const ids = await insertPersonRows(ex, items, now);
  await insertSearchTerms(
    ex,
    items.map(({ record, keys }) => ({ personId: ids.get(record.numenHash) as number, keys })),
  );
  return ids;
}

/** Updates a person from HR (`current` as stored); their search terms follow their names. */
export async function updatePerson(ex: Executor, current: Person, record: StaffRecord, now: string): Promise<void> {
  const keys = personSearchKeys(record.nom, record.prenom);
  await ex
    .updateTable("person")
    .set({
      civilite: record.civilite,
      nom: record.nom,
      prenom: record.prenom,
      search_name: keys.name,
      birth_date: record.birthDate,
      categorie: record.categorie,
      uai: record.uai,
      status: "active",
      updated_at: now,
    })
    .where("id", "=", current.id)
    .execute();
  if (current.nom !== record.nom || current.prenom !== record.prenom) {
    await replaceSearchTerms(ex, { personId: current.id, keys });
  }
}

export async function listActivePersonIdsWithHash(ex: Executor): Promise<Array<{ id: number; numenHash: string }>> {
  const rows = await ex.selectFrom("person").select(["id", "numen_hash"]).where("status", "=", "active").execute();
  return rows.map((r) => ({ id: r.id, numenHash: r.numen_hash }));
}

export async function markPersonsDeparted(ex: Executor, ids: readonly number[], now: string): Promise<void> {
  for (const part of chunks(ids)) {
    await ex.updateTable("person").set({ status: "departed", updated_at: now }).where("id", "in", part).execute();
    await ex
      .updateTable("account")
      .set({ disabled: 1, disabled_reason: "departed", updated_at: now })
      .where("person_id", "in", part)
      .where("kind", "=", "academique")
      .where("disabled", "=", 0)
      .execute();
  }
}

/** A person listed again by HR gets back the accounts their departure disabled (not an admin's). */
export async function reenableAccountsAfterReturn(ex: Executor, personId: number, now: string): Promise<number> {
  const result = await ex
    .updateTable("account")
    .set({ disabled: 0, disabled_reason: null, updated_at: now })
    .where("person_id", "=", personId)
    .where("disabled_reason", "=", "departed")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function loadIssuedNames(ex: Executor): Promise<{ usernames: Set<string>; addresses: Set<string> }> {
  const rows = await ex.selectFrom("account").select(["username", "address"]).execute();
  return {
    usernames: new Set(rows.map((r) => r.username)),
    addresses: new Set(rows.map((r) => r.address)),
  };
}

export interface NewAccount {
  readonly kind: Account["kind"];
  readonly username: string;
  readonly address: string;
  readonly personId: number | null;
  readonly establishmentUai: string | null;
  readonly externalNom: string | null;
  readonly externalPrenom: string | null;
  readonly recoveryEmail: string | null;
  readonly recoveryConfirmed: boolean;
  readonly passwordState: Account["passwordState"];
  readonly passwordHash: string | null;
}

/** A new account held by a staff member: no recovery address yet, and the holder's NUMEN as password. */
export function staffAccount(
  kind: "academique" | "fonctionnel",
  username: string,
  address: string,
  personId: number | null,
  establishmentUai: string | null,
): NewAccount {
  return {
    kind,
    username,
    address,
    personId,
    establishmentUai,
    externalNom: null,
    externalPrenom: null,
    recoveryEmail: null,
    recoveryConfirmed: false,
    passwordState: "initial",
    passwordHash: null,
  };
}

/** Inserts accounts (enabled); their new ids by username. */
export const insertAccounts = bulkInsert<"account", NewAccount>({
  table: "account",
  columns: [
    "kind",
    "username",
    "address",
    "person_id",
    "establishment_uai",
    "external_nom",
    "external_prenom",
    "recovery_email",
    "recovery_confirmed",
    "password_state",
    "password_hash",
    "disabled",
    "disabled_reason",
    "created_at",
    "updated_at",
  ],
  values: (a, now) => [
    a.kind,
    a.username,
    a.address,
    a.personId,
    a.establishmentUai,
    a.externalNom,
    a.externalPrenom,
    a.recoveryEmail,
    a.recoveryConfirmed ? 1 : 0,
    a.passwordState,
    a.passwordHash,
    0,
    null,
    now,
    now,
  ],
  key: "username",
});

const accountWithHolder = (ex: Executor) =>
  ex
    .selectFrom("account")
    .leftJoin("person", "person.id", "account.person_id")
    .selectAll("account")
    .select([
      "person.civilite as p_civilite",
      "person.nom as p_nom",
      "person.prenom as p_prenom",
      "person.categorie as p_categorie",
      "person.uai as p_uai",
      "person.status as p_status",
    ]);

type AccountJoinRow = AccountRow & {
  p_civilite: string | null;
  p_nom: string | null;
  p_prenom: string | null;
  p_categorie: string | null;
  p_uai: string | null;
  p_status: Person["status"] | null;
};

function toAccount(r: AccountJoinRow): Account {
  const holder: Account["holder"] =
    r.person_id !== null
      ? {
          type: "person",
          personId: r.person_id,
          civilite: r.p_civilite ?? "",
          nom: r.p_nom ?? "",
          prenom: r.p_prenom ?? "",
          categorie: r.p_categorie ?? "",
          uai: r.p_uai ?? "",
          status: r.p_status ?? "active",
        }
      : { type: "external", nom: r.external_nom ?? "", prenom: r.external_prenom ?? "" };
  return {
    id: r.id,
    kind: r.kind,
    username: r.username,
    address: r.address,
    holder,
    establishmentUai: r.establishment_uai,
    recoveryEmail: r.recovery_email,
    recoveryConfirmed: r.recovery_confirmed === 1,
    passwordState: r.password_state,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The condition on an account's username or address (compared in lower case, spaces around ignored). */
/** Usernames and addresses are stored in lower case; what was typed is compared so. */
const normalizeIdent = (ident: string): string => ident.trim().toLowerCase();

function byUsernameOrAddress(ident: string) {
  const value = normalizeIdent(ident);
  return (eb: ExpressionBuilder<Schema, "account">) =>
    eb.or([eb("account.username", "=", value), eb("account.address", "=", value)]);
}

/** The look-up by username or address, built and compiled once (each RCPT TO of the reception: bench:smtp). */
const accountByIdent = compiledOnce(
  (ex: Executor, a: { ident: string }) => accountWithHolder(ex).where(byUsernameOrAddress(a.ident)),
  ["ident"],
);

export async function findAccountByUsernameOrAddress(ex: Executor, ident: string): Promise<Account | null> {
  // The compiled query holds the comparison; the value is normalised here as byUsernameOrAddress would.
  const row = (await accountByIdent(ex, { ident: normalizeIdent(ident) })).rows[0];
  return row ? toAccount(row) : null;
}

/**
 * Accounts not disabled whose address, username or holder's family name starts with `prefix` (already
 * lower case), for the address suggestions of the compose page. Address and username use their
 * unique indexes (a range, not LIKE, so that both databases can).
 */
export async function suggestAccounts(ex: Executor, prefix: string, limit: number): Promise<Account[]> {
  const upper = `${prefix}\uffff`;
  const rows = await accountWithHolder(ex)
    .where("account.disabled", "=", 0)
    .where((eb) =>
      eb.or([
        eb.and([eb("account.address", ">=", prefix), eb("account.address", "<", upper)]),
        eb.and([eb("account.username", ">=", prefix), eb("account.username", "<", upper)]),
        sql<boolean>`lower(person.nom) like ${likePrefix(prefix)} escape '\\'`,
      ]),
    )
    .orderBy("account.address")
    .limit(limit)
    .execute();
  return rows.map(toAccount);
}

export async function findAccountsOfPerson(ex: Executor, personId: number): Promise<Account[]> {
  const rows = await accountWithHolder(ex).where("account.person_id", "=", personId).orderBy("account.id").execute();
  return rows.map(toAccount);
}

/** The accounts held by these people, oldest first. */
export async function findAccountsOfPersons(ex: Executor, personIds: readonly number[]): Promise<Account[]> {
  if (personIds.length === 0) return [];
  const rows = await accountWithHolder(ex).where("account.person_id", "in", personIds).orderBy("account.id").execute();
  return rows.map(toAccount);
}

export async function findFunctionalAccount(ex: Executor, uai: string): Promise<Account | null> {
  const row = await accountWithHolder(ex)
    .where("account.establishment_uai", "=", uai)
    .where("account.kind", "=", "fonctionnel")
    .executeTakeFirst();
  return row ? toAccount(row) : null;
}

export async function setAccountDisabled(
  ex: Executor,
  id: number,
  disabled: boolean,
  reason: "admin" | null,
  now: string,
): Promise<void> {
  await ex
    .updateTable("account")
    .set({ disabled: disabled ? 1 : 0, disabled_reason: disabled ? reason : null, updated_at: now })
    .where("id", "=", id)
    .execute();
}

/** Gives a functional account to a new holder; the password goes back to the holder's NUMEN. */
export async function setFunctionalHolder(
  ex: Executor,
  accountId: number,
  personId: number,
  now: string,
): Promise<void> {
  await ex
    .updateTable("account")
    .set({ person_id: personId, password_state: "initial", password_hash: null, updated_at: now })
    .where("id", "=", accountId)
    .execute();
}

export interface EstablishmentRecord {
  readonly uai: string;
  readonly libelle: string;
  readonly headPersonId: number | null;
}

export function findEstablishments(ex: Executor, uais: readonly string[]): Promise<Map<string, EstablishmentRecord>> {
  return selectInBatches(
    uais,
    (part) => ex.selectFrom("establishment").selectAll().where("uai", "in", part).execute(),
    (r) => [r.uai, { uai: r.uai, libelle: r.libelle, headPersonId: r.head_person_id }],
  );
}

export async function insertEstablishment(ex: Executor, e: EstablishmentRecord, now: string): Promise<void> {
  await ex
    .insertInto("establishment")
    .values({ uai: e.uai, libelle: e.libelle, head_person_id: e.headPersonId, created_at: now, updated_at: now })
    .execute();
}

export async function updateEstablishment(ex: Executor, e: EstablishmentRecord, now: string): Promise<void> {
  await ex
    .updateTable("establishment")
    .set({ libelle: e.libelle, head_person_id: e.headPersonId, updated_at: now })
    .where("uai", "=", e.uai)
    .execute();
}

/** How many people the directory holds, or only those with `status`. */
export async function countPersons(ex: Executor, status?: PersonStatus): Promise<number> {
  let q = ex.selectFrom("person").select((eb) => eb.fn.countAll<number>().as("n"));
  if (status) q = q.where("status", "=", status);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

const accountWithCredentials = (ex: Executor) =>
  accountWithHolder(ex).select(["person.numen_hash as p_numen_hash", "person.birth_date as p_birth_date"]);

function toCredentials(
  row: AccountJoinRow & { p_numen_hash: string | null; p_birth_date: string | null },
): StoredCredentials {
  return {
    account: toAccount(row),
    passwordHash: row.password_hash,
    numenHash: row.p_numen_hash,
    birthDate: row.p_birth_date,
    passwordExpiresAt: row.password_expires_at,
    compromisedAt: row.compromised_at,
  };
}

/** The sign-in's look-up, built and compiled once (it runs at every sign-in: bench:login). */
const credentialsByIdent = compiledOnce(
  (ex: Executor, a: { ident: string }) => accountWithCredentials(ex).where(byUsernameOrAddress(a.ident)),
  ["ident"],
);

/** An account with what is needed to check a password, by username or address. */
export async function findCredentials(ex: Executor, ident: string): Promise<StoredCredentials | null> {
  // The compiled query holds the comparison; the value is normalised here as byUsernameOrAddress would.
  const row = (await credentialsByIdent(ex, { ident: normalizeIdent(ident) })).rows[0];
  return row ? toCredentials(row) : null;
}

export async function findCredentialsById(ex: Executor, id: number): Promise<StoredCredentials | null> {
  const row = await accountWithCredentials(ex).where("account.id", "=", id).executeTakeFirst();
  return row ? toCredentials(row) : null;
}

export async function updatePasswordHash(
  ex: Executor,
  id: number,
  hash: string,
  state: Account["passwordState"],
  now: string,
): Promise<void> {
  await ex
    .updateTable("account")
    // A new password ends a temporary one's expiry and the « compte compromis » state.
    .set({
      password_hash: hash,
      password_state: state,
      password_expires_at: null,
      compromised_at: null,
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function findAccountsByRecoveryEmail(ex: Executor, email: string): Promise<Account[]> {
  const rows = await accountWithHolder(ex)
    .where("account.recovery_email", "=", email)
    .where("account.recovery_confirmed", "=", 1)
    .orderBy("account.id")
    .limit(10)
    .execute();
  return rows.map(toAccount);
}

export async function updateRecoveryEmail(
  ex: Executor,
  id: number,
  email: string | null,
  confirmed: boolean,
  now: string,
): Promise<void> {
  await ex
    .updateTable("account")
    .set({ recovery_email: email, recovery_confirmed: confirmed ? 1 : 0, updated_at: now })
    .where("id", "=", id)
    .execute();
}

const ANALYZE_ABOVE_ROWS = 1_000;

/**
 * The planner's statistics refreshed after an applied import of more than ANALYZE_ABOVE_ROWS rows (PostgreSQL; SQLite's are left to
 * `optimize`): without it, the search's trigram and prefix indexes are passed over for sequential
 * scans until autovacuum comes round (the helpdesk's search went from ~10 ms to ~250 ms).
 */
export async function analyzeAfterImport(db: Executor, dialect: DialectName, rows: number): Promise<void> {
  if (dialect !== "postgres" || rows <= ANALYZE_ABOVE_ROWS) return;
  await sql`analyze person, account, establishment, person_search_term, person_search_word`.execute(db);
}
