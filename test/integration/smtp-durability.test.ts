/**
 * Durability of SMTP reception: the real server runs in a child process, four nodemailer clients
 * send a burst of messages with unique Message-IDs, and the process is killed with SIGKILL in the
 * middle of it. Then, on the same database, once the reception's intake is stored (mail/intake.ts,
 * as a restarted server does first): every message that got its 250 is there exactly once,
 * whole; nothing is there twice or half; the folder counters equal what the folder holds; and the
 * server starts again on that data and receives.
 *
 * SQLite runs `sesame serve` itself (bin/sesame.js, with its migrations, on the same file);
 * PostgreSQL runs startServer in test/helpers/server-child.ts, in the test's own schema.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import type { Services } from "../../src/services.js";
import type { DialectName } from "../../src/storage/database.js";
import { DIALECTS, openTestServices, POSTGRES_URL, TEST_SECRET, type TestContext } from "../helpers/env.js";
import { sesameEnv } from "../helpers/sesame-process.js";
import { newAddress } from "../helpers/smtp.js";
import { openTwinServices } from "../helpers/web.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/sesame.js");
const CHILD = path.join(ROOT, "test/helpers/server-child.ts");
const CLIENTS = 4;
/** SIGKILL once this many messages got their 250. */
const KILL_AFTER = 60;
const BODY_LINES = 60; // about 5 KB a message

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly smtpPort: number;
  output(): string;
}

async function schemaOf(services: Services): Promise<string> {
  const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(services.database.db);
  return r.rows[0]?.schema ?? "public";
}

/** Starts the server in a child process on free ports; resolves once the SMTP reception listens. */
async function startChild(ctx: TestContext): Promise<Child> {
  const env = sesameEnv({
    SESAME_DATA_DIR: ctx.config.dataDir,
    SESAME_DATABASE_URL: ctx.config.databaseUrl,
    SESAME_SECRET: TEST_SECRET,
    SESAME_ARGON2_MEMORY_KIB: "1024",
    SESAME_ARGON2_TIME_COST: "1",
  });
  const args = ctx.dialect === "sqlite" ? [BIN, "serve"] : ["--import", "tsx", CHILD];
  if (ctx.dialect === "postgres") {
    env.SESAME_DATABASE_URL = POSTGRES_URL;
    env.SESAME_TEST_SEARCH_PATH = await schemaOf(ctx.services);
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  const smtpPort = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
      const m = /SMTP (?:reception for \S+ )?listening on (?:[\d.]+:)?(\d+)/.exec(output);
      if (m?.[1]) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { process: child, smtpPort, output: () => output };
}

function messageFor(id: string, to: string): string {
  const lines = Array.from({ length: BODY_LINES }, (_, i) => `ligne ${i} du message ${id} ${"-".repeat(50)}`);
  return [
    "From: Rafale <burst@example.org>",
    `To: <${to}>`,
    `Subject: rafale ${id}`,
    `Message-ID: <${id}@burst.example.org>`,
    "Date: Mon, 2 Sep 2024 08:00:00 +0200",
    "Content-Type: text/plain; charset=utf-8",
    "",
    ...lines,
    `FIN ${id}`,
    "",
  ].join("\r\n");
}

/**
 * Four clients send until the server goes away; the child is killed once KILL_AFTER messages were
 * acknowledged. Returns the Message-IDs that got a 250 and those that were sent without one.
 */
async function burst(child: Child, to: string): Promise<{ acked: Set<string>; unanswered: Set<string> }> {
  const acked = new Set<string>();
  const unanswered = new Set<string>();
  const errorsBeforeKill: string[] = [];
  let killed = false;
  const transports = Array.from({ length: CLIENTS }, () =>
    nodemailer.createTransport({
      host: "127.0.0.1",
      port: child.smtpPort,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 1,
      connectionTimeout: 5_000,
      socketTimeout: 10_000,
    }),
  );
  const exited = once(child.process, "exit");
  await Promise.all(
    transports.map(async (transport, client) => {
      for (let n = 0; n < 5_000; n++) {
        const id = `c${client}-m${n}-${process.pid}`;
        try {
          const info = await transport.sendMail({
            envelope: { from: "burst@example.org", to: [to] },
            raw: messageFor(id, to),
          });
          if (!/^250 /.test(info.response)) throw new Error(`unexpected reply ${info.response}`);
          acked.add(id);
          if (!killed && acked.size >= KILL_AFTER) {
            killed = true;
            child.process.kill("SIGKILL");
          }
        } catch (error) {
          unanswered.add(id);
          if (!killed) errorsBeforeKill.push(`${id}: ${(error as Error).message}`);
          return;
        }
      }
    }),
  );
  for (const t of transports) t.close();
  await exited;
  assert.deepEqual(errorsBeforeKill, [], child.output());
  assert.ok(killed, "the burst ended before the kill");
  return { acked, unanswered };
}

/** Every message of a folder (all pages). */
async function allMessages(services: Services, accountId: number, folderId: number) {
  const items = [];
  let cursor: number | null = null;
  do {
    const page = await services.mail.list(accountId, folderId, cursor, 200);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return items;
}

async function checkStore(
  services: Services,
  accountId: number,
  sent: { acked: Set<string>; unanswered: Set<string> },
): Promise<Map<string, number>> {
  const folder = await services.mail.folderByRole(accountId, "inbox");
  const items = await allMessages(services, accountId, folder.id);
  const byId = new Map<string, number>();
  for (const item of items) {
    const view = await services.mail.open(accountId, item.id, { markSeen: false });
    const id = /^<(.+)@burst\.example\.org>$/.exec(view.messageId ?? "")?.[1] ?? `?${view.messageId}`;
    assert.ok(sent.acked.has(id) || sent.unanswered.has(id), `a message nobody sent: ${id}`);
    assert.ok(!byId.has(id), `stored twice: ${id}`);
    byId.set(id, item.id);
    // Whole: the raw message has its last line, and the size said is the size stored.
    const raw = await services.mail.raw(accountId, item.id);
    assert.equal(raw.length, item.sizeBytes);
    assert.match(raw.toString("utf8"), new RegExp(`FIN ${id}\\r\\n$`));
    assert.match(view.text ?? "", new RegExp(`FIN ${id}`));
  }
  for (const id of sent.acked) assert.ok(byId.has(id), `acknowledged with 250 but lost: ${id}`);
  // The counters the folder keeps equal what it holds.
  assert.equal(folder.total, items.length);
  assert.equal(folder.unread, items.filter((m) => !m.flags.seen).length);
  assert.equal(
    folder.sizeBytes,
    items.reduce((sum, m) => sum + m.sizeBytes, 0),
  );
  const quota = await services.mail.quota(accountId);
  assert.equal(quota.usedBytes, folder.sizeBytes);
  // No half delivery the other way either: no stored body without its message (the test's database
  // holds this burst only).
  const counts = await sql<{ blobs: number | string; used: number | string }>`
    select (select count(*) from mail_blob) as blobs,
           (select count(distinct blob_id) from mail_message) as used`.execute(services.database.db);
  assert.equal(Number(counts.rows[0]?.blobs), Number(counts.rows[0]?.used));
  assert.equal(Number(counts.rows[0]?.used), items.length);
  return byId;
}

async function durabilityRun(dialect: DialectName): Promise<void> {
  const ctx = await openTestServices(dialect);
  let child: Child | undefined;
  try {
    const rcpt = await newAddress(ctx.services);
    child = await startChild(ctx);
    const sent = await burst(child, rcpt.address);
    assert.ok(sent.acked.size >= KILL_AFTER);

    // The data as a restarted server finds it, once it has stored what its intake held (as it
    // does before its reception listens): messages answered 250 during the burst may wait there.
    const twin = await openTwinServices(ctx);
    try {
      await twin.services.intake.drain();
      await checkStore(twin.services, rcpt.accountId, sent);
    } finally {
      await twin.close();
    }

    // And the server starts again on it, and receives.
    child = await startChild(ctx);
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: child.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    const id = `after-restart-${process.pid}`;
    const info = await transport.sendMail({
      envelope: { from: "burst@example.org", to: [rcpt.address] },
      raw: messageFor(id, rcpt.address),
    });
    assert.match(info.response, /^250 /);
    child.process.kill("SIGTERM");
    const [code] = (await once(child.process, "exit")) as [number | null];
    assert.equal(code, 0, child.output());
    const twin2 = await openTwinServices(ctx);
    try {
      await twin2.services.intake.drain();
      const byId = await checkStore(twin2.services, rcpt.accountId, {
        acked: new Set([...sent.acked, id]),
        unanswered: sent.unanswered,
      });
      assert.ok(byId.has(id));
    } finally {
      await twin2.close();
    }
  } finally {
    if (child && child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await ctx.close();
  }
}

describe("SMTP reception survives SIGKILL during a burst", () => {
  for (const dialect of DIALECTS) {
    it(
      `${dialect}: every 250 is stored once and whole, the counters are right, the server restarts`,
      { timeout: 60_000 },
      () => durabilityRun(dialect),
    );
  }
});
