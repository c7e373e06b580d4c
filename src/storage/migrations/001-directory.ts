import { type Kysely, sql } from "kysely";
import type { DialectName } from "../database.js";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was then, not Schema
type AnyDb = Kysely<any>;

function idColumn(dialect: DialectName) {
  return dialect === "postgres" ? sql`serial primary key` : sql`integer primary key autoincrement`;
}

export async function up(db: AnyDb, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable("person")
    .addColumn("id", idColumn(dialect))
    .addColumn("numen_hash", "text", (c) => c.notNull().unique())
    .addColumn("civilite", "text", (c) => c.notNull())
    .addColumn("nom", "text", (c) => c.notNull())
    .addColumn("prenom", "text", (c) => c.notNull())
    .addColumn("birth_date", "text", (c) => c.notNull())
    .addColumn("categorie", "text", (c) => c.notNull())
    .addColumn("uai", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('active', 'departed')`))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("establishment")
    .addColumn("uai", "text", (c) => c.primaryKey())
    .addColumn("libelle", "text", (c) => c.notNull())
    .addColumn("head_person_id", "integer", (c) => c.references("person.id"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("account")
    .addColumn("id", idColumn(dialect))
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
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("account_person_idx").on("account").column("person_id").execute();
  await db.schema.createIndex("account_establishment_idx").on("account").column("establishment_uai").execute();

  await db.schema
    .createTable("audit_event")
    .addColumn("id", idColumn(dialect))
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("entity", "text", (c) => c.notNull())
    .addColumn("entity_id", "text")
    .addColumn("details", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_event_at_idx").on("audit_event").column("at").execute();

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
