/** The helpdesk's SQL: a person's card (never their NUMEN nor birth date selected for display), and the account states it sets. */
import type { Kysely } from "kysely";
import type { PersonStatus } from "../directory/directory.types.js";
import type { Schema } from "../storage/schema.js";

type Executor = Kysely<Schema>;

export interface PersonRow {
  readonly id: number;
  readonly civilite: string;
  readonly nom: string;
  readonly prenom: string;
  readonly categorie: string;
  readonly uai: string;
  readonly status: PersonStatus;
  readonly libelle: string | null;
}

export async function findPerson(ex: Executor, personId: number): Promise<PersonRow | null> {
  const row = await ex
    .selectFrom("person")
    .leftJoin("establishment", "establishment.uai", "person.uai")
    .select([
      "person.id",
      "person.civilite",
      "person.nom",
      "person.prenom",
      "person.categorie",
      "person.uai",
      "person.status",
      "establishment.libelle",
    ])
    .where("person.id", "=", personId)
    .executeTakeFirst();
  return row ?? null;
}

/** The ids of the accounts a person holds (academic, and functional as head of an establishment), oldest first. */
export async function accountIdsOfPerson(ex: Executor, personId: number): Promise<number[]> {
  const rows = await ex.selectFrom("account").select("id").where("person_id", "=", personId).orderBy("id").execute();
  return rows.map((r) => Number(r.id));
}

/** A temporary password: to change at first use, refused after `expiresAt`; the « compromis » state ends. */
export async function setTemporaryPassword(
  ex: Executor,
  accountId: number,
  hash: string,
  expiresAt: string,
  now: string,
): Promise<void> {
  await ex
    .updateTable("account")
    .set({
      password_hash: hash,
      password_state: "must_change",
      password_expires_at: expiresAt,
      compromised_at: null,
      updated_at: now,
    })
    .where("id", "=", accountId)
    .execute();
}

export async function markCompromised(ex: Executor, accountId: number, now: string): Promise<void> {
  await ex.updateTable("account").set({ compromised_at: now, updated_at: now }).where("id", "=", accountId).execute();
}

/** Disables (by the helpdesk: reason `admin`) or enables an account; false when it was already so. */
export async function setDisabled(ex: Executor, accountId: number, disabled: boolean, now: string): Promise<boolean> {
  const result = await ex
    .updateTable("account")
    .set({ disabled: disabled ? 1 : 0, disabled_reason: disabled ? "admin" : null, updated_at: now })
    .where("id", "=", accountId)
    .where("disabled", "=", disabled ? 0 : 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
