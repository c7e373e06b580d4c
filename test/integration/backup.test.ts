/**
 * `sesame backup FILE` and `sesame restore FILE` (SQLite), with the real processes:
 * - a `sesame serve` receives an SMTP burst from several connections; while it goes on, `sesame
 *   backup` copies the installation; the copy is restored into a fresh data folder, where every
 *   message that had its 250 before the backup started is found, a staff member is found by NUMEN
 *   (the secret came along) and signs in with their password;
 * - a file that is not a backup, or a damaged one, is refused in English with a non-zero exit and the
 *   target folder is left as it was; a folder that already holds a database is not overwritten
 *   without --force;
 * - on PostgreSQL both commands say to use pg_dump / pg_restore, credentials masked.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import { openServices } from "../../src/services.js";
import { POSTGRES_URL, tempDir, testConfig } from "../helpers/env.js";
import { IMAP_PASSWORD, imapAccount } from "../helpers/imap.js";
import { runSesame, SESAME_BIN, sesameEnv } from "../helpers/sesame-process.js";
import { accountOf, seedStaff, uniqueStaff } from "../helpers/web.js";

/** The environment of a data folder whose secret is the generated file (no SESAME_SECRET). */
function envOf(dir: string): Record<string, string> {
  return sesameEnv({
    SESAME_DATA_DIR: dir,
    SESAME_SECRET: "",
    SESAME_ARGON2_MEMORY_KIB: "1024",
    SESAME_ARGON2_TIME_COST: "1",
    SESAME_TRUSTED_RELAYS: "127.0.0.0/8",
  });
}

const cleanups: Array<() => void> = [];
after(() => {
  for (const clean of cleanups) clean();
});

describe("sesame backup and restore (SQLite)", () => {
  it("a backup taken during an SMTP burst restores every message accepted before it", {
    timeout: 180_000,
  }, async () => {
    const source = tempDir();
    const target = tempDir();
    cleanups.push(source.remove, target.remove);
    const env = envOf(source.dir);
    const backupFile = path.join(tempDir().dir, "sesame.backup");

    // Three recipients and a staff member with a password, in the folder the process will serve.
    const seeded = await openServices(testConfig(env));
    const staff = uniqueStaff();
    await seedStaff(seeded, [staff]);
    const recipients = [await imapAccount(seeded), await imapAccount(seeded), await accountOf(seeded, staff)];
    const signer = recipients[0];
    assert.ok(signer);
    await seeded.close();
    const secret = readFileSync(path.join(source.dir, "secret"), "utf8");

    const server = spawn(process.execPath, [SESAME_BIN, "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = once(server, "exit");
    try {
      let stdout = "";
      const smtpPort = await new Promise<number>((resolve, reject) => {
        server.stdout.setEncoding("utf8").on("data", (d: string) => {
          stdout += d;
          const port = /SMTP reception for \S+ listening on [^:]+:(\d+)/.exec(stdout)?.[1];
          if (port) resolve(Number(port));
        });
        server.stderr.resume();
        server.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
      });

      // The burst: 4 pooled connections, messages of ~8 KB, one recipient each, until told to stop.
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: smtpPort,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 4,
        maxMessages: Number.POSITIVE_INFINITY,
      });
      const accepted: Array<{ messageId: string; at: number }> = [];
      let stop = false;
      let sent = 0;
      const sender = async (lane: number): Promise<void> => {
        while (!stop) {
          const n = sent++;
          const to = recipients[n % recipients.length]?.address ?? "";
          const info = await transport.sendMail({
            from: "expediteur@exemple.org",
            to,
            subject: `Rafale ${lane}-${n}`,
            text: `Message ${n}\n${"Lorem ipsum dolor sit amet. ".repeat(300)}`,
            messageId: `<rafale-${n}-${lane}@exemple.org>`,
          });
          assert.match(info.response, /^250/);
          accepted.push({ messageId: info.messageId, at: performance.now() });
        }
      };
      const lanes = Array.from({ length: 4 }, (_, lane) => sender(lane));
      // Some mail first, then the backup while the burst goes on.
      while (accepted.length < 40) await new Promise((r) => setImmediate(r));
      const backupStartedAt = performance.now();
      const acceptedBefore = accepted.map((a) => a.messageId);
      const backup = await runSesame(["backup", backupFile], env);
      const countAtBackupEnd = accepted.length;
      // A little more mail after the backup, then the burst stops.
      while (accepted.length < countAtBackupEnd + 20) await new Promise((r) => setImmediate(r));
      stop = true;
      await Promise.all(lanes);
      transport.close();
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /Backed up .* to .*sesame\.backup/);
      assert.match(backup.stdout, /holds the server's secret/);
      assert.equal(statSync(backupFile).mode & 0o777, 0o600);
      assert.ok(acceptedBefore.length >= 40);
      assert.ok(
        accepted.some((a) => a.at > backupStartedAt),
        "the burst went on during the backup",
      );

      // Restored into a fresh data folder (its own generated secret replaced by the backup's).
      const targetEnv = envOf(target.dir);
      const restore = await runSesame(["restore", backupFile], targetEnv);
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /Restored the backup of \d{4}-\d\d-\d\dT.* into .*sesame\.db/);
      assert.equal(readFileSync(path.join(target.dir, "secret"), "utf8"), secret);
      assert.equal(statSync(path.join(target.dir, "secret")).mode & 0o777, 0o600);

      const restored = await openServices(testConfig(targetEnv));
      try {
        // What the backup caught in the reception's intake is stored as the restored server would at start.
        await restored.intake.drain();
        const rows = await sql<{ message_id: string }>`select message_id from mail_message`.execute(
          restored.database.db,
        );
        const found = new Set(rows.rows.map((r) => r.message_id));
        const missing = acceptedBefore.filter((id) => !found.has(id));
        assert.deepEqual(missing, [], `${missing.length} of ${acceptedBefore.length} accepted messages are missing`);
        // The secret came along: the NUMEN's keyed hash finds the person; the password still signs in.
        assert.equal((await restored.directory.getAccount(staff.numen)).username, recipients[2]?.username);
        const signedIn = await restored.login.authenticate({
          identifier: signer.username,
          password: IMAP_PASSWORD,
          ip: "127.0.0.1",
          channel: "imap",
        });
        assert.equal(signedIn.accountId, signer.id);
      } finally {
        await restored.close();
      }

      // Not again over a database that holds data, unless --force.
      const again = await runSesame(["restore", backupFile], targetEnv);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /already holds a database; stop the service and run again with --force/);
      const forced = await runSesame(["restore", backupFile, "--force"], targetEnv);
      assert.equal(forced.code, 0, forced.stderr);
    } finally {
      server.kill("SIGTERM");
      await exited;
    }
  });

  it("refuses a file that is not a backup, or a damaged one, and leaves the target untouched", async () => {
    const work = tempDir();
    cleanups.push(work.remove);
    const env = envOf(path.join(work.dir, "data"));
    const notSqlite = path.join(work.dir, "notes.txt");
    writeFileSync(notSqlite, "Ceci n'est pas une sauvegarde.\n".repeat(200));
    const first = await runSesame(["restore", notSqlite], env);
    assert.notEqual(first.code, 0);
    assert.match(first.stderr, /is not a Sésame backup/);
    assert.equal(existsSync(path.join(work.dir, "data", "sesame.db")), false);

    // A real backup, then cut in half: damaged.
    const seeded = await openServices(testConfig({ ...env, SESAME_DATA_DIR: path.join(work.dir, "source") }));
    await seeded.close();
    const whole = path.join(work.dir, "whole.backup");
    const made = await runSesame(["backup", whole], { ...env, SESAME_DATA_DIR: path.join(work.dir, "source") });
    assert.equal(made.code, 0, made.stderr);
    const bytes = readFileSync(whole);
    const half = path.join(work.dir, "half.backup");
    writeFileSync(half, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const damaged = await runSesame(["restore", half], env);
    assert.notEqual(damaged.code, 0);
    assert.match(damaged.stderr, /is damaged|is not a Sésame backup/);
    assert.equal(existsSync(path.join(work.dir, "data", "sesame.db")), false);

    // A backup file that exists already is not overwritten.
    const twice = await runSesame(["backup", whole], { ...env, SESAME_DATA_DIR: path.join(work.dir, "source") });
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /already exists/);
  });

  it("on PostgreSQL, points to pg_dump and pg_restore with the password masked", async () => {
    const work = tempDir();
    cleanups.push(work.remove);
    const url = new URL(POSTGRES_URL);
    url.password = "motdepasse-secret";
    const env = { ...envOf(work.dir), SESAME_DATABASE_URL: url.toString() };
    const backup = await runSesame(["backup", "/tmp/x.dump"], env);
    assert.equal(backup.code, 1);
    assert.match(backup.stderr, /pg_dump --format=custom --file=\/tmp\/x\.dump/);
    assert.match(backup.stderr, /Save the secret file .*secret/);
    assert.doesNotMatch(backup.stderr, /motdepasse-secret/);
    const restore = await runSesame(["restore", "/tmp/x.dump"], env);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /pg_restore --clean/);
  });
});
