/**
 * The security team's commands as an operator runs them (a real `node bin/sesame.js` process on a
 * temporary SQLite folder): `sesame reports` lists the reported messages by Message-ID, `sesame mail
 * quarantine` moves every local copy to Indésirables (a dry run moves nothing). Data is prepared
 * in-process.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/config.js";
import type { Account } from "../../src/directory/directory.types.js";
import { openServices, type Services } from "../../src/services.js";
import { TEST_SECRET, tempDir } from "../helpers/env.js";
import { staffWithPassword } from "../helpers/web.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/sesame.js");

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const MESSAGE_ID = "<piege.cli@faux-rectorat.example>";

function phishing(to: string): Buffer {
  return Buffer.from(
    [
      "From: Service informatique <support@faux-rectorat.example>",
      `To: ${to}`,
      "Subject: Votre boite sera fermee",
      "Date: Thu, 03 Dec 2026 09:00:00 +0100",
      `Message-ID: ${MESSAGE_ID}`,
      "",
      "Cliquez ici.",
      "",
    ].join("\r\n"),
  );
}

describe("sesame reports and sesame mail quarantine (SQLite)", () => {
  it("lists the reports, then quarantines every copy (a dry run first, which moves nothing)", async () => {
    const tmp = tempDir("sesame-cli-");
    const env = { SESAME_DATA_DIR: path.join(tmp.dir, "data"), SESAME_SECRET: TEST_SECRET, SESAME_LOG_LEVEL: "silent" };
    const config = loadConfig(env);
    const sesame = (args: readonly string[]): Promise<Run> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [BIN, ...args],
          { cwd: tmp.dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 60_000 },
          (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
          },
        );
      });
    const withServices = async <T>(fn: (s: Services) => Promise<T>): Promise<T> => {
      const services = await openServices(config);
      try {
        return await fn(services);
      } finally {
        await services.close();
      }
    };
    const roles = (accounts: readonly Account[], ids: readonly number[]) =>
      withServices(async (s) => {
        const out: (string | null)[] = [];
        for (const [i, a] of accounts.entries()) out.push((await s.mail.reportable(a.id, ids[i] ?? 0)).folderRole);
        return out;
      });
    try {
      const empty = await sesame(["reports"]);
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal(empty.stdout, "No message was reported.\n");

      const { accounts, ids } = await withServices(async (s) => {
        const list = [await staffWithPassword(s), await staffWithPassword(s), await staffWithPassword(s)];
        const recipients = [];
        for (const a of list) recipients.push(await s.mail.checkRecipient(a.address));
        const delivered = (await s.mail.deliver(phishing(list[0]?.address ?? ""), recipients)).messageIds;
        await s.reports.report(list[0]?.id ?? 0, [delivered[0] ?? 0], { actor: "web:webmail" });
        return { accounts: list, ids: delivered };
      });

      const json = await sesame(["reports", "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const lines = json.stdout.trim().split("\n");
      assert.equal(lines.length, 1);
      const row = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
      assert.equal(row.messageId, MESSAGE_ID);
      assert.equal(row.reporters, 1);
      assert.equal(row.mailboxes, 3);
      assert.equal(row.senderDomain, "faux-rectorat.example");
      const text = await sesame(["reports", "--since", "2000-01-01"]);
      assert.match(
        text.stdout,
        /reported by 1, in 3 mailboxes {2}faux-rectorat\.example {2}<piege\.cli@faux-rectorat\.example>/,
      );
      assert.equal((await sesame(["reports", "--since", "2999-01-01"])).stdout, "No message was reported.\n");

      const dry = await sesame(["mail", "quarantine", "--message-id", MESSAGE_ID, "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /3 copies of <piege\.cli@faux-rectorat\.example> in 3 mailboxes: 2 copies would be moved to Indésirables, 1 copy already there\./,
      );
      assert.match(dry.stdout, /Dry run: nothing was moved\./);
      assert.deepEqual(await roles(accounts, ids), ["junk", "inbox", "inbox"]);

      const done = await sesame(["mail", "quarantine", "--message-id", MESSAGE_ID]);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /: 2 copies moved to Indésirables, 1 copy already there\.\n$/);
      assert.deepEqual(await roles(accounts, ids), ["junk", "junk", "junk"]);
      const audited = await withServices((s) => s.audit.list({ action: "mail.quarantined" }));
      assert.equal(audited.length, 1, "the dry run is not audited");
      assert.equal(audited[0]?.actor, "cli:mail quarantine");

      // By sender, case folded: the release puts every copy back in the inbox, with the reason audited.
      const sender = "Support@Faux-Rectorat.example";
      const dryRelease = await sesame(["mail", "quarantine", "--sender", sender, "--release", "--dry-run"]);
      assert.equal(dryRelease.code, 0, dryRelease.stderr);
      assert.match(
        dryRelease.stdout,
        /^3 copies of the messages from Support@Faux-Rectorat\.example in 3 mailboxes: 3 copies would be put back in the inbox, 0 copies not in Indésirables\.\nDry run: nothing was moved\.\n$/,
      );
      assert.deepEqual(await roles(accounts, ids), ["junk", "junk", "junk"]);
      const released = await sesame([
        "mail",
        "quarantine",
        "--sender",
        sender,
        "--release",
        "--reason",
        "Faux positif",
      ]);
      assert.equal(released.code, 0, released.stderr);
      assert.match(released.stdout, /: 3 copies put back in the inbox, 0 copies not in Indésirables\.\n$/);
      assert.deepEqual(await roles(accounts, ids), ["inbox", "inbox", "inbox"]);
      const releases = await withServices((s) => s.audit.list({ action: "mail.released" }));
      assert.equal(releases.length, 1);
      assert.equal(releases[0]?.details.sender, "support@faux-rectorat.example");
      assert.equal(releases[0]?.details.reason, "Faux positif");
      const again = await sesame(["mail", "quarantine", "--sender", sender]);
      assert.match(again.stdout, /: 3 copies moved to Indésirables, 0 copies already there\.\n$/);
      assert.deepEqual(await roles(accounts, ids), ["junk", "junk", "junk"]);

      const usage = await sesame(["mail", "quarantine"]);
      assert.equal(usage.code, 2);
      assert.match(
        usage.stderr,
        /expected: sesame mail quarantine \(--message-id ID \| --sender ADDRESS\) \[--release\] \[--reason TEXT\] \[--dry-run\]/,
      );
      const both = await sesame(["mail", "quarantine", "--message-id", MESSAGE_ID, "--sender", sender]);
      assert.equal(both.code, 2);
      const badSender = await sesame(["mail", "quarantine", "--sender", "pas-une-adresse"]);
      assert.equal(badSender.code, 2, badSender.stderr);
      assert.match(badSender.stderr, /^sesame: .*address/);
      const bad = await sesame(["mail", "quarantine", "--message-id", "pas un id"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^sesame: a Message-ID is written <…@…>, without spaces\n$/);
    } finally {
      tmp.remove();
    }
  });
});
