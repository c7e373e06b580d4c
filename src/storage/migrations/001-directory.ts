import { sql } from "kysely";
import type { DialectName } from "../database.js";
import { type AnyDb, columnTypes, createIndexes, requiredText } from "./schema-kit.js";

export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  const { serialId } = columnTypes(dialect);

  await db.schema
    .createTable("person")
    .addColumn("id", serialId)
    .addColumn("numen_hash", "text", (c) => c.notNull().unique())
    .$call(requiredText("civilite", "nom", "prenom", "birth_date", "categorie", "uai"))
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('active', 'departed')`))
    .$call(requiredText("created_at", "updated_at"))
    .execute();

  await db.schema
    .createTable("establishment")
    .addColumn("uai", "text", (c) => c.primaryKey())
    .addColumn("libelle", "text", (c) => c.notNull())
    .addColumn("head_person_id", "integer", (c) => c.references("person.id"))
    .$call(requiredText("created_at", "updated_at"))
    .execute();

  await db.schema
    .createTable("account")
    .addColumn("id", serialId)
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('academique', 'fonctionnel', 'externe')`))
    // Accounts are never deleted, so these unique constraints also mean that a username or an
    // address, once issued, is never given to anyone else.
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("address", "text", (c) => c.notNull().unique())
    .addColumn("person_id", "integer", (c) => c.references("person.id"))
    .addColumn("establishment_uai", "text", (c) => c.references("establishment.uai"))
    .addColumn("external_nom", "text")
    .addColumn("external_prenom", "text")
    .addColumn("recovery_email", "text")
    .addColumn("recovery_confirmed", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("password_state", "text", (c) =>
      c.notNull().check(sql`password_state in ('initial', 'personal', 'must_change')`),
    )
    .addColumn("password_hash", "text")
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("disabled_reason", "text")
    .$call(requiredText("created_at", "updated_at"))
    .execute();
  await createIndexes(db, "account", {
    account_person_idx: ["person_id"],
    account_establishment_idx: ["establishment_uai"],
  });

  await db.schema
    .createTable("audit_event")
    .addColumn("id", serialId)
    .$call(requiredText("at", "actor", "action", "entity"))
    .addColumn("entity_id", "text")
    .addColumn("details", "text", (c) => c.notNull())
    .execute();
  await createIndexes(db, "audit_event", { audit_event_at_idx: ["at"] });

  // The audit trail is append-only, enforced by the database itself.
  if (dialect === "postgres") {
    await sql`create or replace function audit_event_append_only() returns trigger as $$
      begin raise exception 'audit_event is append-only'; end; $$ language plpgsql`.execute(db);
    await sql`create trigger audit_event_no_change before update or delete on audit_event
      for each row execute function audit_event_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_event_no_update before update on audit_event
      begin select raise(abort, 'audit_event is append-only'); end`.execute(db);
    await sql`create trigger audit_event_no_delete before delete on audit_event
      begin select raise(abort, 'audit_event is append-only'); end`.execute(db);
  }
}
