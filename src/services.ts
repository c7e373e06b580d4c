/**
 * Wires the domain services together over one database. The web server, the SMTP server and the
 * CLI all start from here, so that they share the same rules.
 */
import { AuditService } from "./audit/audit.service.js";
import type { Config } from "./config/config.js";
import { DemoService } from "./directory/demo.service.js";
import { DirectoryService } from "./directory/directory.service.js";
import { StaffImportService } from "./directory/staff-import.service.js";
import { PasswordHasher } from "./identity/password-hasher.js";
import { type Clock, systemClock } from "./shared/clock.js";
import { type Database, type DatabaseOptions, openDatabase } from "./storage/database.js";
import { migrateToLatest } from "./storage/migrate.js";

export interface Services {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly audit: AuditService;
  readonly directory: DirectoryService;
  readonly staffImport: StaffImportService;
  readonly demo: DemoService;
  readonly hasher: PasswordHasher;
  close(): Promise<void>;
}

export interface ServicesOptions {
  readonly clock?: Clock;
  readonly database?: DatabaseOptions;
  /** Run pending migrations first (default true). */
  readonly migrate?: boolean;
}

export async function openServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  const database = openDatabase(config.databaseUrl, options.database);
  try {
    if (options.migrate !== false) await migrateToLatest(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  const db = database.db;
  const audit = new AuditService(db, clock);
  const base = { db, secret: config.secret, mailDomain: config.mailDomain, clock, audit };
  const directory = new DirectoryService(base);
  const staffImport = new StaffImportService(base);
  const hasher = new PasswordHasher(config.argon2);
  const demo = new DemoService(directory, staffImport, hasher);
  return {
    config,
    database,
    clock,
    audit,
    directory,
    staffImport,
    demo,
    hasher,
    close: () => database.close(),
  };
}
