/**
 * The JavaScript build (`npm run build`, scripts/build.mjs) is what `sesame` runs once it is current:
 * the service started from it as an operator starts it (bin/sesame.js serve) says so, serves its
 * pages and the client bundle (compiled from the build's own client modules), and receives mail from
 * outside with every sender check on its worker thread (the worker's entry loads the build's
 * checks, not tsx): the message is answered 250 and stored with Sésame's verdict.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { distIsCurrent } from "../../scripts/build-state.mjs";
import { openServices } from "../../src/services.js";
import { startDnsServer } from "../helpers/dns-server.js";
import { TEST_SECRET, tempDir, testConfig } from "../helpers/env.js";
import { sesameEnv } from "../helpers/sesame-process.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "bin/sesame.js");

describe("the JavaScript build (dist/)", () => {
  it("is what sesame serve runs once built: pages, client bundle, and checked mail from outside", async () => {
    // Nothing to do when scripts/test.sh built it already; otherwise this builds it.
    const built = spawnSync(process.execPath, [path.join(ROOT, "scripts/build.mjs")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 300_000,
    });
    assert.equal(built.status, 0, built.stdout + built.stderr);
    assert.equal(distIsCurrent(ROOT), true);

    const tmp = tempDir();
    const dns = await startDnsServer({
      "sender.example.net": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
      "_dmarc.sender.example.net": { TXT: ["v=DMARC1; p=reject"] },
    });
    const config = testConfig({ SESAME_DATA_DIR: tmp.dir });
    let address: string;
    let accountId: number;
    {
      const services = await openServices(config);
      try {
        const account = await services.directory.createExternal(
          { nom: "Compilé", prenom: "Test", recoveryEmail: "test.compile@example.org" },
          "test",
        );
        address = account.address;
        accountId = account.id;
      } finally {
        await services.close();
      }
    }
    const child = spawn(process.execPath, [BIN, "serve"], {
      cwd: ROOT,
      env: sesameEnv({ SESAME_DATA_DIR: tmp.dir, SESAME_SECRET: TEST_SECRET, SESAME_DNS_SERVERS: dns.server }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    try {
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        output += d;
      });
      const { url, smtpPort } = await new Promise<{ url: string; smtpPort: number }>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          output += d;
          const http = /is running at \S+ \(listening on (http:\/\/[^\s)]+)\)/.exec(output);
          const smtp = /SMTP reception for \S+ listening on [^:]+:(\d+)/.exec(output);
          if (http?.[1] && smtp?.[1] && /Running the /.test(output))
            resolve({ url: http[1], smtpPort: Number(smtp[1]) });
        });
        child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      assert.match(output, /Running the JavaScript build \(dist\/\)/);

      const home = await fetch(url);
      assert.equal(home.status, 200);
      const page = await home.text();
      const script = /\/static\/app\.[0-9a-f]+\.js/.exec(page)?.[0];
      assert.ok(script, "the page links the client bundle");
      const bundle = await fetch(new URL(script, url));
      assert.equal(bundle.status, 200);
      assert.match(bundle.headers.get("content-type") ?? "", /javascript/);
      assert.ok((await bundle.text()).length > 1_000);

      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: smtpPort,
        secure: false,
        ignoreTLS: true,
      });
      const info = await transport.sendMail({
        envelope: { from: "expediteur@sender.example.net", to: [address] },
        from: "Expéditeur <expediteur@sender.example.net>",
        to: address,
        subject: "Depuis la version compilée",
        text: "Bonjour,\nceci est un message de l'extérieur.\n",
      });
      transport.close();
      assert.match(info.response, /^250 /);

      // Stored (through the intake, perhaps a moment later) with Sésame's verdict: SPF passed.
      const services = await openServices(config, { migrate: false });
      try {
        const db = services.database.db;
        let raw: Buffer | undefined;
        for (const deadline = Date.now() + 20_000; !raw && Date.now() < deadline; ) {
          const row = await db
            .selectFrom("mail_message")
            .innerJoin("mail_blob", "mail_blob.id", "mail_message.blob_id")
            .select("mail_blob.raw")
            .where("mail_message.account_id", "=", accountId)
            .executeTakeFirst();
          raw = row?.raw;
          if (!raw) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.ok(raw, `the message was not stored: ${output}`);
        const headers = raw.toString("latin1").split("\r\n\r\n")[0] ?? "";
        assert.match(headers, /^Authentication-Results: [^\r\n]*;(?:\r\n\s[^\r\n]*)*\s*spf=pass/m);
        assert.match(headers, /dmarc=pass/);
      } finally {
        await services.close();
      }
      assert.doesNotMatch(output, /worker thread did not start/);

      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, output);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await dns.close();
      tmp.remove();
    }
  });
});
