import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.js";

const SECRET = "a-test-secret-of-more-than-32-characters";

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-config-test-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function assertConfigError(env: Record<string, string>, variable: string): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${variable}, got ${String(caught)}`);
  assert.equal(caught.name, "ConfigError");
  assert.ok(caught.message.includes(variable), `the message should name ${variable}: ${caught.message}`);
  assert.ok(!/[\r\n]/.test(caught.message), `the message should be one line: ${JSON.stringify(caught.message)}`);
  return caught;
}

describe("loadConfig: defaults", () => {
  it("gives the documented defaults with only a data directory", () => {
    const dir = freshDir();
    const config = loadConfig({ SESAME_DATA_DIR: dir });
    assert.equal(config.dataDir, dir);
    assert.equal(config.httpPort, 8080);
    assert.equal(config.smtpPort, 2525);
    assert.equal(config.httpHost, "127.0.0.1");
    assert.equal(config.academieName, "académie de Lyon");
    assert.equal(config.mailDomain, "ac-lyon.fr");
    assert.equal(config.rectoratPhone, "04 72 80 60 60");
    assert.deepEqual(config.argon2, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.equal(config.databaseUrl, `sqlite:${path.join(dir, "sesame.db")}`);
    assert.equal(config.publicUrl, "http://localhost:8080");
    assert.equal(config.logLevel, "info");
    assert.ok(config.secret.length >= 32);
  });

  it("treats empty and blank variables as unset", () => {
    const dir = freshDir();
    const config = loadConfig({
      SESAME_DATA_DIR: dir,
      SESAME_SECRET: SECRET,
      SESAME_HTTP_PORT: "",
      SESAME_SMTP_PORT: "  ",
      SESAME_MAIL_DOMAIN: "",
      SESAME_DATABASE_URL: " ",
    });
    assert.equal(config.httpPort, 8080);
    assert.equal(config.smtpPort, 2525);
    assert.equal(config.mailDomain, "ac-lyon.fr");
    assert.equal(config.databaseUrl, `sqlite:${path.join(dir, "sesame.db")}`);
  });

  it("the default public URL follows the HTTP port", () => {
    const config = loadConfig({ SESAME_DATA_DIR: freshDir(), SESAME_SECRET: SECRET, SESAME_HTTP_PORT: "9090" });
    assert.equal(config.publicUrl, "http://localhost:9090");
  });
});

describe("loadConfig: values", () => {
  it("reads every variable", () => {
    const dir = freshDir();
    const config = loadConfig({
      SESAME_DATA_DIR: dir,
      SESAME_SECRET: SECRET,
      SESAME_HTTP_PORT: " 8081 ",
      SESAME_SMTP_PORT: "0",
      SESAME_HTTP_HOST: "0.0.0.0",
      SESAME_PUBLIC_URL: "https://webmail.ac-grenoble.fr/",
      SESAME_ACADEMIE_NAME: "académie de Grenoble",
      SESAME_MAIL_DOMAIN: "AC-Grenoble.FR",
      SESAME_RECTORAT_PHONE: "04 76 74 70 00",
      SESAME_ARGON2_MEMORY_KIB: "65536",
      SESAME_ARGON2_TIME_COST: "3",
      SESAME_ARGON2_PARALLELISM: "4",
      SESAME_LOG_LEVEL: "warn",
    });
    assert.equal(config.httpPort, 8081);
    assert.equal(config.smtpPort, 0);
    assert.equal(config.httpHost, "0.0.0.0");
    assert.equal(config.publicUrl, "https://webmail.ac-grenoble.fr");
    assert.equal(config.academieName, "académie de Grenoble");
    assert.equal(config.mailDomain, "ac-grenoble.fr");
    assert.equal(config.rectoratPhone, "04 76 74 70 00");
    assert.deepEqual(config.argon2, { memoryCost: 65536, timeCost: 3, parallelism: 4 });
    assert.equal(config.logLevel, "warn");
    assert.equal(config.secret, SECRET);
  });

  for (const url of [
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://sesame:s3cret@db.ac-lyon.fr/sesame?sslmode=require",
    "postgresql://sesame@db/sesame",
  ]) {
    it(`accepts the PostgreSQL URL ${url}`, () => {
      const config = loadConfig({ SESAME_DATA_DIR: freshDir(), SESAME_SECRET: SECRET, SESAME_DATABASE_URL: url });
      assert.equal(config.databaseUrl, url);
    });
  }

  it("resolves a relative SQLite file and keeps :memory:", () => {
    const dir = freshDir();
    const file = loadConfig({
      SESAME_DATA_DIR: dir,
      SESAME_SECRET: SECRET,
      SESAME_DATABASE_URL: "sqlite:./some/where.db",
    });
    assert.equal(file.databaseUrl, `sqlite:${path.resolve("some/where.db")}`);
    const memory = loadConfig({ SESAME_DATA_DIR: dir, SESAME_SECRET: SECRET, SESAME_DATABASE_URL: "sqlite::memory:" });
    assert.equal(memory.databaseUrl, "sqlite::memory:");
  });

  it("returns a frozen object, argon2 parameters included", () => {
    const config = loadConfig({ SESAME_DATA_DIR: freshDir(), SESAME_SECRET: SECRET });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.argon2));
    assert.throws(() => {
      (config as { httpPort: number }).httpPort = 1;
    }, TypeError);
    assert.throws(() => {
      (config.argon2 as { timeCost: number }).timeCost = 1;
    }, TypeError);
    assert.equal(config.httpPort, 8080);
  });
});

describe("loadConfig: bad values stop the start with one line naming the variable", () => {
  const BAD: readonly (readonly [string, string])[] = [
    ["SESAME_HTTP_PORT", "abc"],
    ["SESAME_HTTP_PORT", "70000"],
    ["SESAME_HTTP_PORT", "65536"],
    ["SESAME_HTTP_PORT", "-1"],
    ["SESAME_HTTP_PORT", "80.5"],
    ["SESAME_HTTP_PORT", "1e3"],
    ["SESAME_HTTP_PORT", "80\n81"],
    ["SESAME_SMTP_PORT", "abc"],
    ["SESAME_SMTP_PORT", "70000"],
    ["SESAME_DATABASE_URL", "mysql://x"],
    ["SESAME_DATABASE_URL", "sesame.db"],
    ["SESAME_DATABASE_URL", "sqlite:"],
    ["SESAME_DATABASE_URL", "postgres://db:notaport/sesame"],
    ["SESAME_MAIL_DOMAIN", "ac lyon.fr"],
    ["SESAME_MAIL_DOMAIN", "localhost"],
    ["SESAME_MAIL_DOMAIN", "@ac-lyon.fr"],
    ["SESAME_MAIL_DOMAIN", "ac-lyon.fr."],
    ["SESAME_MAIL_DOMAIN", "-ac-lyon.fr"],
    ["SESAME_SECRET", "too-short"],
    ["SESAME_SECRET", "x".repeat(31)],
    ["SESAME_LOG_LEVEL", "verbose"],
    ["SESAME_LOG_LEVEL", "INFO"],
    ["SESAME_PUBLIC_URL", "not a url"],
    ["SESAME_PUBLIC_URL", "ftp://webmail.ac-lyon.fr"],
    ["SESAME_PUBLIC_URL", "webmail.ac-lyon.fr"],
    ["SESAME_ARGON2_MEMORY_KIB", "abc"],
    ["SESAME_ARGON2_MEMORY_KIB", "10"],
    ["SESAME_ARGON2_TIME_COST", "0"],
    ["SESAME_ARGON2_PARALLELISM", "64"],
    ["SESAME_MAIL_MAX_SIZE_MB", "0"],
    ["SESAME_MAIL_MAX_SIZE_MB", "25MB"],
    ["SESAME_MAIL_QUOTA_MB", "-1"],
    ["SESAME_SMTP_TLS_CERT", "/nonexistent/cert.pem"],
    ["SESAME_SMTP_TLS_KEY", "/nonexistent/key.pem"],
  ];
  for (const [variable, value] of BAD) {
    it(`${variable}=${JSON.stringify(value)}`, () => {
      const dir = freshDir();
      const env: Record<string, string> = { SESAME_DATA_DIR: dir, [variable]: value };
      assertConfigError(env, variable);
      assert.equal(existsSync(path.join(dir, "secret")), false, "a refused configuration writes no secret");
    });
  }

  it("does not repeat a password found in a bad database URL", () => {
    const error = assertConfigError(
      { SESAME_DATA_DIR: freshDir(), SESAME_SECRET: SECRET, SESAME_DATABASE_URL: "mysql://admin:hunter2@db/sesame" },
      "SESAME_DATABASE_URL",
    );
    assert.ok(!error.message.includes("hunter2"), error.message);
  });
});

describe("loadConfig: the generated secret", () => {
  it("is written to <dataDir>/secret with mode 0600 on first load, and read back on the next", () => {
    const dir = path.join(freshDir(), "not", "yet", "there");
    const first = loadConfig({ SESAME_DATA_DIR: dir });
    const file = path.join(dir, "secret");
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, "utf8").trim(), first.secret);
    assert.ok(first.secret.length >= 32);
    assert.match(first.secret, /^[A-Za-z0-9_-]+$/);

    const second = loadConfig({ SESAME_DATA_DIR: dir });
    assert.equal(second.secret, first.secret);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("differs between two data directories", () => {
    const a = loadConfig({ SESAME_DATA_DIR: freshDir() });
    const b = loadConfig({ SESAME_DATA_DIR: freshDir() });
    assert.notEqual(a.secret, b.secret);
  });

  it("is not written when SESAME_SECRET is set", () => {
    const dir = freshDir();
    const config = loadConfig({ SESAME_DATA_DIR: dir, SESAME_SECRET: SECRET });
    assert.equal(config.secret, SECRET);
    assert.equal(existsSync(path.join(dir, "secret")), false);
  });

  it("uses an existing secret file, and refuses a damaged one", () => {
    const dir = freshDir();
    const kept = "k".repeat(40);
    writeFileSync(path.join(dir, "secret"), `${kept}\n`, { mode: 0o600 });
    assert.equal(loadConfig({ SESAME_DATA_DIR: dir }).secret, kept);

    const damaged = freshDir();
    mkdirSync(damaged, { recursive: true });
    writeFileSync(path.join(damaged, "secret"), "short\n", { mode: 0o600 });
    assert.throws(() => loadConfig({ SESAME_DATA_DIR: damaged }), ConfigError);
  });
});
