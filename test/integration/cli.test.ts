/**
 * The `sesame` command as an operator runs it: a real process
 * (`node bin/sesame.js`, no shell) on a temporary data folder (SQLite), checking its output, its
 * exit code (0 done, 1 rejected rows, 2 usage or file error) and the database after. Data is
 * prepared in-process, to keep the number of spawned processes small.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Config, loadConfig } from "../../src/config/config.js";
import { openServices, type Services } from "../../src/services.js";
import { openDatabase } from "../../src/storage/database.js";
import { migrateToLatest } from "../../src/storage/migrate.js";
import { TEST_SECRET, tempDir } from "../helpers/env.js";
import { numenFor, STAFF_HEADER, staffCsv, staffRow, writeCsv } from "../helpers/staff.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/sesame.js");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Sandbox {
  readonly dir: string;
  readonly config: Config;
  sesame(args: readonly string[], env?: Record<string, string>): Promise<Run>;
  /** In-process services on the same database (closed after `fn`). */
  withServices<T>(fn: (s: Services) => Promise<T>): Promise<T>;
}

/** A fresh data folder; `fn` runs commands against it, and the folder is removed afterwards. */
async function sandbox(fn: (box: Sandbox) => Promise<void>): Promise<void> {
  const tmp = tempDir("sesame-cli-");
  const env = {
    SESAME_DATA_DIR: path.join(tmp.dir, "data"),
    SESAME_SECRET: TEST_SECRET,
    SESAME_LOG_LEVEL: "silent",
  };
  const config = loadConfig(env);
  const box: Sandbox = {
    dir: tmp.dir,
    config,
    sesame: (args, extra = {}) =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          { cwd: tmp.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env, ...extra }, timeout: 60_000 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),
    async withServices(inner) {
      const services = await openServices(config);
      try {
        return await inner(services);
      } finally {
        await services.close();
      }
    },
  };
  try {
    await fn(box);
  } finally {
    tmp.remove();
  }
}

/** Exit 2, nothing on stdout and exactly one line on stderr matching `line`. */
function assertUsageError(run: Run, line: RegExp): void {
  assert.equal(run.code, 2, `exit code (stderr: ${run.stderr})`);
  assert.equal(run.stdout, "");
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(run.stderr)}`);
  assert.match(lines[0] ?? "", line);
}

async function personCount(s: Services): Promise<number> {
  return (await s.database.db.selectFrom("person").select("id").execute()).length;
}

// Independent tests, each on its own folder: run them side by side (each spawn costs ~1 s of start-up).
describe("sesame command (SQLite)", { concurrency: 4 }, () => {
  it("db migrate creates the database and applies the migrations", async () => {
    await sandbox(async (box) => {
      const run = await box.sesame(["db", "migrate"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, "");
      assert.match(run.stdout, /^Applied: 001-directory(, \d{3}-[a-z-]+)*\n$/);
      // The tables are there, and nothing is left to apply (the services would run pending ones).
      const database = openDatabase(box.config.databaseUrl);
      try {
        assert.deepEqual((await migrateToLatest(database)).applied, []);
        assert.deepEqual(await database.db.selectFrom("person").select("id").execute(), []);
      } finally {
        await database.close();
      }
    });
  });

  it("import staff --json prints the report and exits 0", async () => {
    await sandbox(async (box) => {
      const rows = [
        staffRow(1, { nom: "Dupont", prenom: "Jean" }),
        staffRow(2, { nom: "Dupont", prenom: "Jean" }),
        staffRow(3, { nom: "Léger", prenom: "Hélène" }),
      ];
      const file = writeCsv(box.dir, "staff.csv", staffCsv(rows), "windows-1252");
      const run = await box.sesame(["import", "staff", file, "--json"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, "");
      assert.deepEqual(JSON.parse(run.stdout), {
        created: 3,
        updated: 0,
        unchanged: 0,
        departed: 0,
        rejected: [],
        applied: true,
      });
      assert.equal(run.stdout.split("\n").filter(Boolean).length, 1);
      await box.withServices(async (s) => {
        assert.equal((await s.directory.getAccount("jdupont2")).address, "jean.dupont2@ac-lyon.fr");
        assert.equal((await s.directory.getAccount("hleger")).passwordState, "initial");
        const [event] = await s.audit.list({ action: "import.staff" });
        assert.equal(event?.actor, "cli:import staff");
      });
    });
  });

  it("import staff --json exits 1 with the rejected rows; --full --dry-run writes nothing", async () => {
    await sandbox(async (box) => {
      const rows = Array.from({ length: 11 }, (_, i) => staffRow(10 + i));
      rows.splice(2, 0, staffRow(99, { date_naissance: "31/02/1990" }));
      const file = writeCsv(box.dir, "staff.csv", staffCsv(rows));
      const run = await box.sesame(["import", "staff", file, "--json"]);
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        created: 11,
        updated: 0,
        unchanged: 0,
        departed: 0,
        rejected: [{ line: 4, reason: 'date_naissance: impossible date "31/02/1990"' }],
        applied: true,
      });

      // Text report of a dry run with --full: one person would depart; nothing changes.
      const fewer = writeCsv(box.dir, "fewer.csv", staffCsv(rows.slice(0, 10)));
      const dry = await box.sesame(["import", "staff", fewer, "--full", "--dry-run"]);
      assert.equal(dry.code, 1, dry.stderr);
      assert.equal(
        dry.stdout,
        [
          'line 4: date_naissance: impossible date "31/02/1990"',
          "10 rows: 0 created (would be), 0 updated (would be), 9 unchanged, 2 departed (would be), 1 rejected",
          "Dry run: nothing was written.",
          "",
        ].join("\n"),
      );
      await box.withServices(async (s) => {
        assert.equal(await personCount(s), 11);
        assert.equal((await s.directory.getAccount(numenFor(20))).disabled, false);
      });
    });
  });

  it("import staff --full: a few departures go through; a file missing most people exits 2 unless --force", async () => {
    await sandbox(async (box) => {
      const rows = Array.from({ length: 40 }, (_, i) => staffRow(600 + i));
      await box.withServices(async (s) => {
        await s.staffImport.importFile(writeCsv(box.dir, "all.csv", staffCsv(rows)), { actor: "test" });
      });
      /** Persons by status, and the audit events that matter here. */
      const state = () =>
        box.withServices(async (s) => {
          const persons = await s.database.db.selectFrom("person").select("status").execute();
          return {
            active: persons.filter((p) => p.status === "active").length,
            departed: persons.filter((p) => p.status === "departed").length,
            disabled: (await s.database.db.selectFrom("account").select("id").where("disabled", "=", 1).execute())
              .length,
            departedEvents: (await s.audit.list({ action: "person.departed" })).length,
            imports: (await s.audit.list({ action: "import.staff" })).length,
          };
        });

      // 3 of 40 missing: under the guard (10 may always depart), no --force needed.
      const few = await box.sesame([
        "import",
        "staff",
        writeCsv(box.dir, "few.csv", staffCsv(rows.slice(0, 37))),
        "--full",
      ]);
      assert.equal(few.code, 0, few.stderr);
      assert.equal(few.stderr, "");
      assert.equal(few.stdout, "37 rows: 0 created, 0 updated, 37 unchanged, 3 departed, 0 rejected\n");
      const before = await state();
      assert.deepEqual(before, { active: 37, departed: 3, disabled: 3, departedEvents: 3, imports: 2 });

      // One establishment's extract: 9 of the 37 active people.
      const extract = writeCsv(box.dir, "extract.csv", staffCsv(rows.slice(0, 9)));
      const [text, json, dry, forceAlone] = await Promise.all([
        box.sesame(["import", "staff", extract, "--full"]),
        box.sesame(["import", "staff", extract, "--full", "--json"]),
        box.sesame(["import", "staff", extract, "--full", "--dry-run"]),
        box.sesame(["import", "staff", extract, "--force"]),
      ]);
      assert.equal(text.code, 2, text.stderr);
      assert.equal(
        text.stdout,
        "9 rows: 0 created (would be), 0 updated (would be), 9 unchanged, 28 departed (would be), 0 rejected\n",
      );
      assert.equal(
        text.stderr,
        [
          "sesame: import refused, nothing was written: 28 of the 37 active people would become departed (76%) and their academic accounts disabled, more than the 10 a --full import may depart without --force (5% of the active people, and always up to 10).",
          "Check that the file is the complete HR export of the académie, not a partial extract; if these departures are expected, run the same command again with --force.",
          "",
        ].join("\n"),
      );

      assert.equal(json.code, 2, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), {
        created: 0,
        updated: 0,
        unchanged: 9,
        departed: 28,
        rejected: [],
        applied: false,
        refused: { reason: "too_many_departures", departing: 28, active: 37, maxDepartures: 10 },
      });
      assert.match(json.stderr, /^sesame: import refused, nothing was written: 28 of the 37 active people/);

      // A dry run tells what the real run would do, exit code included.
      assert.equal(dry.code, 2, dry.stderr);
      assert.match(dry.stdout, /28 departed \(would be\).*\nDry run: nothing was written\.\n$/);
      assert.match(dry.stderr, /^sesame: without --force, this import would be refused: 28 of the 37 active people/);

      assert.equal(forceAlone.code, 2);
      assert.match(forceAlone.stderr, /^sesame: --force applies to a --full staff import only /);

      assert.deepEqual(await state(), before);

      const forced = await box.sesame(["import", "staff", extract, "--full", "--force", "--json"]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.deepEqual(JSON.parse(forced.stdout), {
        created: 0,
        updated: 0,
        unchanged: 9,
        departed: 28,
        rejected: [],
        applied: true,
        forced: { active: 37, maxDepartures: 10 },
      });
      assert.deepEqual(await state(), { active: 9, departed: 31, disabled: 31, departedEvents: 31, imports: 3 });
      await box.withServices(async (s) => {
        assert.equal((await s.directory.getAccount(numenFor(639))).disabled, true);
        assert.equal((await s.directory.getAccount(numenFor(608))).disabled, false);
        const [event] = await s.audit.list({ action: "import.staff" });
        assert.equal(event?.actor, "cli:import staff");
        assert.deepEqual(event?.details, {
          file: extract,
          rows: 9,
          created: 0,
          updated: 0,
          departed: 28,
          rejected: 0,
          forced: { active: 37, maxDepartures: 10 },
        });
      });
    });
  });

  it("import staff: a missing file, an empty file or a missing column exit 2 with one line", async () => {
    await sandbox(async (box) => {
      await box.withServices(async (s) => {
        await s.staffImport.importFile(writeCsv(box.dir, "base.csv", staffCsv([staffRow(1)])), { actor: "test" });
      });
      const missing = path.join(box.dir, "absent.csv");
      const empty = writeCsv(box.dir, "empty.csv", "");
      const noUai = writeCsv(
        box.dir,
        "nouai.csv",
        staffCsv([staffRow(2)], { header: STAFF_HEADER.filter((c) => c !== "uai") }),
      );
      const [a, b, c] = await Promise.all([
        box.sesame(["import", "staff", missing, "--full"]),
        box.sesame(["import", "staff", empty, "--json", "--full"]),
        box.sesame(["import", "staff", noUai, "--full"]),
      ]);
      assertUsageError(a, /^sesame: file not found: .*absent\.csv$/);
      assertUsageError(b, /^sesame: the file is empty: expected a header row and data rows$/);
      assertUsageError(
        c,
        /^sesame: missing column: uai \(header has: numen, civilite, nom, prenom, date_naissance, categorie\)$/,
      );
      await box.withServices(async (s) => {
        assert.equal(await personCount(s), 1);
        assert.equal((await s.directory.getAccount(numenFor(1))).disabled, false);
      });
    });
  });

  it("an unknown command, a bad option or a bad configuration value exit 2 with one line", async () => {
    await sandbox(async (box) => {
      const [unknown, option, config] = await Promise.all([
        box.sesame(["frobnicate"]),
        box.sesame(["import", "staff", "x.csv", "--bogus"]),
        box.sesame(["db", "migrate"], { SESAME_HTTP_PORT: "abc" }),
      ]);
      assertUsageError(
        unknown,
        /^sesame: unknown command "frobnicate" \(run "sesame help" for the list of commands\)$/,
      );
      assertUsageError(option, /^sesame: Unknown option '--bogus'.*\(run "sesame help" for the list of commands\)$/);
      assertUsageError(
        config,
        /^sesame: configuration error: SESAME_HTTP_PORT must be a whole number between 0 and 65535 \(got "abc"\)$/,
      );
    });
  });

  it("account show --json gives the account and its holder, never the NUMEN nor a hash", async () => {
    await sandbox(async (box) => {
      const numen = numenFor(7);
      await box.withServices(async (s) => {
        await s.staffImport.importFile(
          writeCsv(box.dir, "s.csv", staffCsv([staffRow(7, { nom: "Le Gall", prenom: "Élodie", civilite: "Mme" })])),
          { actor: "test" },
        );
      });
      const [byNumen, unknown] = await Promise.all([
        box.sesame(["account", "show", numen.toLowerCase(), "--json"]),
        box.sesame(["account", "show", "personne"]),
      ]);
      assert.equal(byNumen.code, 0, byNumen.stderr);
      const shown = JSON.parse(byNumen.stdout) as Record<string, unknown>;
      assert.deepEqual(
        {
          username: shown.username,
          address: shown.address,
          kind: shown.kind,
          passwordState: shown.passwordState,
          disabled: shown.disabled,
          holder: shown.holder,
        },
        {
          username: "elegall",
          address: "elodie.le-gall@ac-lyon.fr",
          kind: "academique",
          passwordState: "initial",
          disabled: false,
          holder: {
            type: "person",
            civilite: "Mme",
            nom: "Le Gall",
            prenom: "Élodie",
            categorie: "enseignant",
            uai: "0690026D",
            status: "active",
          },
        },
      );
      assert.ok(!byNumen.stdout.toUpperCase().includes(numen), "the NUMEN is not printed");
      assert.ok(!/numen|hash|argon2/i.test(byNumen.stdout), byNumen.stdout);
      const hash = await box.withServices(async (s) => s.directory.numenHash(numen));
      assert.ok(!byNumen.stdout.includes(hash));

      assert.equal(unknown.code, 1);
      assert.equal(unknown.stdout, "");
      assert.equal(unknown.stderr, 'sesame: no account matches "personne"\n');
    });
  });

  it("account create-external, then account disable", async () => {
    await sandbox(async (box) => {
      const create = await box.sesame([
        "account",
        "create-external",
        "--nom",
        "Martin",
        "--prenom",
        "Jean",
        "--recovery-email",
        "jean.martin@example.org",
        "--json",
      ]);
      assert.equal(create.code, 0, create.stderr);
      const created = JSON.parse(create.stdout) as Record<string, unknown>;
      assert.deepEqual(
        [created.username, created.kind, created.disabled, created.holder],
        [
          "ext-jmartin",
          "externe",
          false,
          { type: "external", nom: "Martin", prenom: "Jean", recoveryEmail: "jean.martin@example.org" },
        ],
      );

      const [disable, refused] = await Promise.all([
        box.sesame(["account", "disable", "EXT-JMARTIN"]),
        box.sesame([
          "account",
          "create-external",
          "--nom",
          "Martin",
          "--prenom",
          "Jean",
          "--recovery-email",
          "jean@ac-lyon.fr",
        ]),
      ]);
      assert.deepEqual(disable, { code: 0, stdout: "Account ext-jmartin is disabled.\n", stderr: "" });
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, "sesame: the recovery address must be outside ac-lyon.fr\n");
      await box.withServices(async (s) => {
        assert.equal((await s.directory.getAccount("ext-jmartin")).disabled, true);
        const [event] = await s.audit.list({ action: "account.disabled" });
        assert.equal(event?.actor, "cli:account disable");
        assert.equal((await s.database.db.selectFrom("account").select("id").execute()).length, 1);
      });
      // The trail, filtered by action: the one event; an action it never records matches nothing.
      const [listed, misspelt] = await Promise.all([
        box.sesame(["audit", "--action", "account.disabled", "--json"]),
        box.sesame(["audit", "--action", "account.disabeld", "--json"]),
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      const events = listed.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(
        events.map((e) => [e.action, e.actor, e.entity]),
        [["account.disabled", "cli:account disable", "account"]],
      );
      assert.deepEqual(misspelt, { code: 0, stdout: "", stderr: "" });
    });
  });
});
