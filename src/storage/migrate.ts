import { type Migration, type MigrationProvider, Migrator } from "kysely";
import type { Database, DialectName } from "./database.js";
import * as m001 from "./migrations/001-directory.js";
import * as m002 from "./migrations/002-throttle.js";
import * as m003 from "./migrations/003-sessions.js";
import * as m004 from "./migrations/004-recovery.js";
import * as m005 from "./migrations/005-mail.js";
import * as m006 from "./migrations/006-outbound-queue.js";
import * as m007 from "./migrations/007-mail-settings.js";
import * as m008 from "./migrations/008-contacts.js";
import * as m009 from "./migrations/009-outbound-retention.js";
import * as m010 from "./migrations/010-account-protection.js";
import * as m011 from "./migrations/011-sender-warnings.js";
import * as m012 from "./migrations/012-phishing-reports.js";
import * as m013 from "./migrations/013-spam-score.js";
import * as m014 from "./migrations/014-imap-store.js";
import * as m015 from "./migrations/015-display-preferences.js";
import * as m016 from "./migrations/016-people-search.js";
import * as m017 from "./migrations/017-console-stats.js";
import * as m018 from "./migrations/018-console.js";
import * as m019 from "./migrations/019-helpdesk.js";
import * as m020 from "./migrations/020-webauthn.js";
import * as m021 from "./migrations/021-audit-retention.js";
import * as m022 from "./migrations/022-sender-index.js";
import * as m023 from "./migrations/023-mail-intake.js";

type MigrationModule = { up(db: Parameters<Migration["up"]>[0], dialect: DialectName): Promise<void> };

/** Migrations in order; one set for both dialects (a module may branch on the dialect). */
const MIGRATIONS: ReadonlyArray<readonly [string, MigrationModule]> = [
  ["001-directory", m001],
  ["002-throttle", m002],
  ["003-sessions", m003],
  ["004-recovery", m004],
  ["005-mail", m005],
  ["006-outbound-queue", m006],
  ["007-mail-settings", m007],
  ["008-contacts", m008],
  ["009-outbound-retention", m009],
  ["010-account-protection", m010],
  ["011-sender-warnings", m011],
  ["012-phishing-reports", m012],
  ["013-spam-score", m013],
  ["014-imap-store", m014],
  ["015-display-preferences", m015],
  ["016-people-search", m016],
  ["017-console-stats", m017],
  ["018-console", m018],
  ["019-helpdesk", m019],
  ["020-webauthn", m020],
  ["021-audit-retention", m021],
  ["022-sender-index", m022],
  ["023-mail-intake", m023],
];

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectName) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, mod] of MIGRATIONS) out[name] = { up: (db) => mod.up(db, this.dialect) };
    return out;
  }
}

export interface MigrationReport {
  readonly applied: string[];
}

/** The migrations not applied yet to this database (the web's /readyz), in order. */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: new StaticProvider(database.dialect),
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  const all = await migrator.getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Runs pending migrations; safe to call from several processes at once (Kysely locks). */
export async function migrateToLatest(database: Database): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: database.db,
    provider: new StaticProvider(database.dialect),
    // Kysely looks for its own tables across every schema it can see: name ours, so that databases
    // holding several schemas (one per test run, or per deployment) never mistake another's tables.
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    throw new Error(`database migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
