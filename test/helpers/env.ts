/**
 * Test environment: configs on temporary folders, and the database dialects every repository test
 * runs on. PostgreSQL is required (each test gets its own schema); when it is unreachable the test
 * fails with a line naming it, it is never skipped.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { type Config, loadConfig } from "../../src/config/config.js";
import { openServices, type Services, type ServicesOptions } from "../../src/services.js";
import type { DialectName } from "../../src/storage/database.js";

export const POSTGRES_URL = process.env.SESAME_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.SESAME_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const DIALECTS: readonly DialectName[] = ["sqlite", "postgres"];

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

export function tempDir(prefix = "sesame-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  // A data folder of the test's own (when given) leaves no empty temporary folder behind.
  const dir = overrides.SESAME_DATA_DIR ?? tempDir().dir;
  return loadConfig({
    SESAME_DATA_DIR: dir,
    SESAME_SECRET: TEST_SECRET,
    SESAME_HTTP_PORT: "0",
    SESAME_SMTP_PORT: "0",
    SESAME_IMAP_PORT: "0",
    SESAME_IMAPS_PORT: "0",
    SESAME_SUBMISSION_PORT: "0",
    SESAME_LOG_LEVEL: "silent",
    // Mail from the tests' own clients on loopback skips the sender checks (a test of the checks
    // sets SESAME_TRUSTED_RELAYS to "" and SESAME_DNS_SERVERS to its own DNS server).
    SESAME_TRUSTED_RELAYS: "127.0.0.0/8,::1/128",
    // Cheap argon2 in tests; the benchmarks use the real defaults.
    SESAME_ARGON2_MEMORY_KIB: "1024",
    SESAME_ARGON2_TIME_COST: "1",
    ...overrides,
  });
}

/**
 * Kysely's migrator introspects the tables of every schema it can see; a schema dropped by another
 * test file at that moment makes the introspection fail. Migrations hold this advisory lock shared,
 * drops hold it alone, so the two never overlap (test files run in parallel processes).
 */
const SCHEMA_LOCK = 7_202_611;

async function withSchemaLock<T>(mode: "shared" | "exclusive", fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const suffix = mode === "shared" ? "_shared" : "";
  try {
    await client.query(`select pg_advisory_lock${suffix}($1)`, [SCHEMA_LOCK]);
    return await fn();
  } finally {
    await client.query(`select pg_advisory_unlock${suffix}($1)`, [SCHEMA_LOCK]).catch(() => undefined);
    await client.end();
  }
}

async function createSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is unreachable at ${POSTGRES_URL} (${(error as Error).message}): start it or set SESAME_TEST_POSTGRES_URL`,
    );
  }
  await client.query(`create schema ${schema}`);
  await client.end();
  return {
    schema,
    async drop() {
      await withSchemaLock("exclusive", async () => {
        const c = new pg.Client({ connectionString: POSTGRES_URL });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      });
    },
  };
}

export interface TestContext {
  readonly services: Services;
  readonly config: Config;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

/** Fresh, migrated services on an empty database of the given dialect. */
export async function openTestServices(
  dialect: DialectName,
  overrides: Record<string, string> = {},
  options: ServicesOptions = {},
): Promise<TestContext> {
  const { services, config, release } = await openTestDatabase(dialect, overrides, options);
  return {
    services,
    config,
    dialect,
    close: async () => {
      await services.close();
      await release();
    },
  };
}

/**
 * The same, for a caller whose server closes the services itself (`startServer`'s stop):
 * `release` removes what is left once they are closed (the PostgreSQL schema, the data folder).
 */
export async function openTestDatabase(
  dialect: DialectName,
  overrides: Record<string, string> = {},
  options: ServicesOptions = {},
): Promise<{ services: Services; config: Config; release(): Promise<void> }> {
  if (dialect === "sqlite") {
    const config = testConfig(overrides);
    const services = await openServices(config, options);
    return { services, config, release: async () => rmSync(config.dataDir, { recursive: true, force: true }) };
  }
  const { schema, drop } = await createSchema();
  const config = testConfig({ SESAME_DATABASE_URL: POSTGRES_URL, ...overrides });
  const services = await withSchemaLock("shared", () =>
    openServices(config, { ...options, database: { searchPath: schema, poolSize: 4 } }),
  );
  return {
    services,
    config,
    release: async () => {
      await drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
