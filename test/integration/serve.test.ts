import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import { openServices } from "../../src/services.js";
import { REDIS_URL, TEST_SECRET, tempDir, testConfig } from "../helpers/env.js";
import { RawImap } from "../helpers/imap.js";
import { runSesame, sesameEnv } from "../helpers/sesame-process.js";

const BIN = path.resolve("bin/sesame.js");

describe("sesame serve", () => {
  it("starts on the configured port, answers, and stops cleanly on SIGTERM (IMAP clients get BYE)", async () => {
    const tmp = tempDir();
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: sesameEnv({ SESAME_DATA_DIR: tmp.dir, SESAME_SECRET: TEST_SECRET }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        output += d;
      });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          output += d;
          const m = /listening on (http:\/\/[^\s)]+)/.exec(output);
          if (m?.[1]) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      const health = await fetch(new URL("/healthz", url));
      assert.equal(health.status, 200);
      const home = await fetch(url);
      assert.equal(home.status, 200);
      assert.match(await home.text(), /Bienvenue sur le webmail/);
      // serve adds no data: no demo académie announced…
      assert.doesNotMatch(output, /demo/i);

      // An IMAP client connected at the stop is told BYE.
      const imapPort = Number(/IMAP \(mail clients\) listening on [^:]+:(\d+)/.exec(output)?.[1]);
      const { client: imap, greeting } = await RawImap.connect(imapPort);
      assert.match(greeting, /^\* OK /);

      child.kill("SIGTERM");
      assert.match(await imap.line(10_000), /^\* BYE /);
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, output);

      // …and none written: the database serve created and migrated holds no record (a few demo
      // ones would show here, whatever serve printed).
      const services = await openServices(testConfig({ SESAME_DATA_DIR: tmp.dir }), { migrate: false });
      try {
        const db = services.database.db;
        const count = async (table: "person" | "establishment" | "account" | "mail_message" | "audit_event") =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as("n"))
                .executeTakeFirstOrThrow()
            ).n,
          );
        assert.deepEqual(
          {
            people: await count("person"),
            establishments: await count("establishment"),
            accounts: await count("account"),
            messages: await count("mail_message"),
            auditEvents: await count("audit_event"),
          },
          { people: 0, establishments: 0, accounts: 0, messages: 0, auditEvents: 0 },
        );
      } finally {
        await services.close();
      }
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      tmp.remove();
    }
  });

  // Seen in a test run: a port taken by another program between its choice and the listen. The
  // command printed the error and stayed alive, its Redis connections keeping it up with nothing
  // listening (a service its supervisor believes running).
  for (const redis of [false, true]) {
    it(`exits at once, naming the port, when a door cannot listen${redis ? " (with Redis)" : ""}`, async () => {
      const tmp = tempDir();
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const address = taken.address();
      const port = typeof address === "object" && address ? address.port : 0;
      try {
        const run = await runSesame(
          ["serve"],
          sesameEnv({
            SESAME_DATA_DIR: tmp.dir,
            SESAME_SECRET: TEST_SECRET,
            SESAME_SMTP_PORT: String(port),
            ...(redis ? { SESAME_REDIS_URL: REDIS_URL } : {}),
          }),
          { timeoutMs: 30_000 },
        );
        assert.equal(run.code, 2, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(`sesame: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
        );
        assert.doesNotMatch(run.stdout, /listening on/);
      } finally {
        await new Promise<void>((resolve) => taken.close(() => resolve()));
        tmp.remove();
      }
    });
  }
});
