/**
 * The console's administration pages (role `admin`), on SQLite and PostgreSQL: the HR import from
 * the browser (the dry run writes nothing, the apply matches the CLI's report and writes the same
 * audit under the agent, the departure guard and its forced confirmation, 100,000 rows), files
 * refused (over the limit, Latin-1, a wrong header: 4xx, nothing written, nothing left on disk),
 * the outbound queue's retry and cancel (state in the database, audited, no subject shown), the
 * configuration without a secret, and a 404 for a helpdesk agent on every page.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { IMPORT_MAX_BYTES, MASK, maskedConfig } from "../../src/console/admin.service.js";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import { FakeClock } from "../../src/shared/clock.js";
import { consoleAgent, location } from "../helpers/console.js";
import { DIALECTS, openTestServices, type TestContext, tempDir, testConfig } from "../helpers/env.js";
import { type StaffRow, staffCsv, staffRow, writeCsv } from "../helpers/staff.js";
import { textOf, type WebClient } from "../helpers/web.js";

const BOUNDARY = "----sesame-test-boundary";

function partHeader(name: string, filename?: string): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename !== undefined ? `; filename="${filename}"\r\nContent-Type: text/csv` : ""}\r\n\r\n`;
}

/** A multipart upload body: `_csrf`, `kind`, `full`, then the file. */
function uploadBody(c: WebClient, fields: Record<string, string>, file: Buffer): Buffer {
  const parts = [partHeader("_csrf") + c.csrf];
  for (const [k, v] of Object.entries(fields)) parts.push(`\r\n${partHeader(k)}${v}`);
  return Buffer.concat([
    Buffer.from(`${parts.join("")}\r\n${partHeader("fichier", "export.csv")}`),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

function upload(c: WebClient, fields: Record<string, string>, file: Buffer): Promise<LightMyRequestResponse> {
  return c.send({
    method: "POST",
    url: "/console/admin/import",
    payload: uploadBody(c, fields, file),
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
  });
}

/** The job page, once its running step is over (the page polled as « Actualiser » does). */
async function settled(c: WebClient, url: string, timeoutMs = 600_000): Promise<LightMyRequestResponse> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await c.get(url);
    if (!res.body.includes("data-import-running")) return res;
    if (Date.now() > end) throw new Error(`import still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let serial = 4_000_000 + Math.floor(Math.random() * 500_000);
function rows(n: number, overrides: Partial<StaffRow> = {}): StaffRow[] {
  return Array.from({ length: n }, () => staffRow(++serial, overrides));
}

for (const dialect of DIALECTS) {
  describe(`the console's administration (${dialect})`, () => {
    let ctx: TestContext;
    let app: FastifyInstance;
    let services: Services;
    const clock = new FakeClock("2026-12-04T08:00:00.000Z");
    let agent: { account: Account; c: WebClient };
    let helpdesk: { account: Account; c: WebClient };
    const tmp = tempDir();
    before(async () => {
      ctx = await openTestServices(dialect, {}, { clock });
      services = ctx.services;
      const { testApp } = await import("../helpers/web.js");
      app = await testApp(services);
      agent = await consoleAgent(services, app, "admin", clock);
      helpdesk = await consoleAgent(services, app, "assistance", clock);
    });
    after(async () => {
      await app.close();
      await ctx.close();
      tmp.remove();
    });

    const actor = () => `console:${agent.account.username}`;
    const db = () => services.database.db;
    const persons = async () =>
      Number(
        (
          await db()
            .selectFrom("person")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const auditCount = async (action: string, by = actor()) =>
      Number(
        (
          await db()
            .selectFrom("audit_event")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("action", "=", action)
            .where("actor", "=", by)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const importsDir = () => path.join(ctx.config.dataDir, "imports");
    const leftFiles = () => {
      try {
        return readdirSync(importsDir());
      } catch {
        return [];
      }
    };

    it("answers 404 to a helpdesk agent on every administration page", async () => {
      const c = helpdesk.c;
      for (const url of [
        "/console/admin/import",
        "/console/admin/import/abc",
        "/console/admin/etablissements",
        "/console/admin/file-envoi",
        "/console/admin/configuration",
      ]) {
        assert.equal((await c.get(url)).statusCode, 404, url);
      }
      await c.get("/console");
      const res = await upload(c, { kind: "staff" }, Buffer.from(staffCsv(rows(2))));
      assert.equal(res.statusCode, 404);
      for (const url of ["/console/admin/file-envoi/1/reessayer", "/console/admin/file-envoi/1/annuler"]) {
        assert.equal((await c.post(url, {})).statusCode, 404, url);
      }
      // Without any console session: a 404, nothing written.
      const { WebClient } = await import("../helpers/web.js");
      const stranger = new WebClient(app, "192.0.2.77");
      await stranger.get("/");
      const anonymous = await upload(stranger, { kind: "staff" }, Buffer.from(staffCsv(rows(2))));
      assert.equal(anonymous.statusCode, 404);
      assert.deepEqual(leftFiles(), [], "nothing kept on disk");
    });

    it("links the administration's home to its pages", async () => {
      const home = await agent.c.get("/console/admin");
      for (const href of [
        "/console/admin/import",
        "/console/admin/etablissements",
        "/console/admin/file-envoi",
        "/console/admin/configuration",
      ]) {
        assert.ok(home.body.includes(`href="${href}"`), href);
      }
    });

    it("dry-runs an upload without writing, then applies it as the CLI would, audited under the agent", async () => {
      const good = rows(30);
      const bad = [staffRow(++serial, { numen: "pas-un-numen" })];
      const csv = Buffer.from(staffCsv([...good, ...bad]));
      const file = writeCsv(tmp.dir, `cli-${dialect}.csv`, csv.toString());
      const cli = await services.staffImport.importFile(file, { actor: "cli:import staff", dryRun: true });

      // Another console session, that must not see nor apply it (the token is bound to the session).
      const other = await consoleAgent(services, app, "admin", clock);
      const before = await persons();
      await agent.c.get("/console/admin/import");
      const res = await upload(agent.c, { kind: "staff" }, csv);
      assert.equal(res.statusCode, 303, res.body);
      const jobUrl = location(res);
      assert.match(jobUrl, /^\/console\/admin\/import\/[A-Za-z0-9_-]{20,}$/);
      const dry = await settled(agent.c, jobUrl);
      assert.equal(dry.statusCode, 200);
      const text = textOf(dry.body);
      assert.match(text, /Résultat de l'essai à blanc/);
      assert.match(text, /Créations 30/);
      assert.match(text, /Lignes rejetées 1/);
      assert.match(text, /NUMEN invalide/);
      assert.match(dry.body, /<table id="creations">/);
      assert.equal(await persons(), before, "the dry run wrote nothing");
      assert.equal(await auditCount("import.staff"), 0);
      assert.equal(await auditCount("person.created"), 0);

      assert.equal((await other.c.get(jobUrl)).statusCode, 404);
      await other.c.get("/console/admin");
      assert.equal((await other.c.post(`${jobUrl}/appliquer`, {})).statusCode, 404);

      await agent.c.get(jobUrl);
      const applied = await agent.c.post(`${jobUrl}/appliquer`, {});
      assert.equal(applied.statusCode, 303);
      const done = await settled(agent.c, jobUrl);
      assert.match(textOf(done.body), /L'import est appliqué et consigné au journal/);
      assert.equal(await persons(), before + cli.created);
      assert.equal(cli.created, 30);
      assert.equal(await auditCount("person.created"), cli.created);
      const entry = await db()
        .selectFrom("audit_event")
        .select(["details"])
        .where("action", "=", "import.staff")
        .where("actor", "=", actor())
        .executeTakeFirstOrThrow();
      const details = JSON.parse(entry.details) as Record<string, unknown>;
      assert.equal(details.rows, cli.rows);
      assert.equal(details.created, cli.created);
      assert.equal(details.rejected, cli.rejected.length);
      assert.deepEqual(leftFiles(), [], "the upload is removed once applied");
    });

    it("imports establishments from the browser and lists them with their functional account", async () => {
      const head = rows(1)[0] as StaffRow;
      await agent.c.get("/console/admin/import");
      await upload(agent.c, { kind: "staff" }, Buffer.from(staffCsv([head]))).then(async (r) => {
        await settled(agent.c, location(r));
        await agent.c.post(`${location(r)}/appliquer`, {});
        await settled(agent.c, location(r));
      });
      const uai = "0690026D";
      await agent.c.get("/console/admin/import");
      const res = await upload(
        agent.c,
        { kind: "establishments" },
        Buffer.from(`uai;libelle;numen_chef\n${uai};Collège des Glycines;${head.numen}\n`),
      );
      assert.equal(res.statusCode, 303, textOf(res.body));
      const dry = await settled(agent.c, location(res));
      assert.match(textOf(dry.body), /Créations 1/);
      await agent.c.post(`${location(res)}/appliquer`, {});
      await settled(agent.c, location(res));
      const list = await agent.c.get(`/console/admin/etablissements?q=${encodeURIComponent("glycines")}`);
      assert.equal(list.statusCode, 200);
      const text = textOf(list.body);
      assert.match(text, /0690026D/);
      assert.match(text, /ce\.0690026d@\S+ — mot de passe initial/);
      const every = await agent.c.get("/console/admin/etablissements?page=7");
      assert.equal(every.statusCode, 200);
      assert.match(textOf(every.body), /1 établissement .* 0690026D Collège des Glycines/);
      const none = await agent.c.get(`/console/admin/etablissements?q=${encodeURIComponent("%")}`);
      assert.match(textOf(none.body), /Aucun établissement ne correspond/);
    });

    it("refuses a Latin-1 file, naming its encoding, and writes nothing", async () => {
      const had = leftFiles();
      const before = await persons();
      await agent.c.get("/console/admin/import");
      const latin1 = Buffer.from(staffCsv(rows(3, { prenom: "Hélène" })), "latin1");
      const res = await upload(agent.c, { kind: "staff" }, latin1);
      assert.equal(res.statusCode, 400);
      assert.match(textOf(res.body), /n'est pas encodé en UTF-8 \(il semble être en Windows-1252 \/ Latin-1\)/);
      assert.equal(await persons(), before);
      assert.deepEqual(leftFiles(), had);
    });

    it("refuses a file with the wrong header, and writes nothing", async () => {
      const had = leftFiles();
      await agent.c.get("/console/admin/import");
      const res = await upload(agent.c, { kind: "staff" }, Buffer.from("nom;prenom\nMartin;Jean\n"));
      assert.equal(res.statusCode, 400);
      assert.match(textOf(res.body), /colonnes attendues : numen, civilite/);
      assert.deepEqual(leftFiles(), had);
    });

    it("refuses a file over the limit with 413 without keeping it", async () => {
      const had = leftFiles();
      await agent.c.get("/console/admin/import");
      const head = Buffer.from(
        `${partHeader("_csrf")}${agent.c.csrf}\r\n${partHeader("kind")}staff\r\n${partHeader("fichier", "gros.csv")}numen;civilite;nom;prenom;date_naissance;categorie;uai\n`,
      );
      const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
      const chunk = Buffer.alloc(1024 * 1024, "x");
      let sent = 0;
      const total = IMPORT_MAX_BYTES + 2 * 1024 * 1024;
      const body = Readable.from(
        (function* () {
          yield head;
          while (sent < total) {
            sent += chunk.length;
            yield chunk;
          }
          yield tail;
        })(),
      );
      const res = await agent.c.send({
        method: "POST",
        url: "/console/admin/import",
        payload: body,
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      });
      assert.equal(res.statusCode, 413);
      assert.match(textOf(res.body), /dépasse la taille maximale de 64 Mo/);
      assert.deepEqual(leftFiles(), had);
    });

    it("refuses an upload without its CSRF token and keeps nothing", async () => {
      const had = leftFiles();
      const body = Buffer.from(
        `${partHeader("kind")}staff\r\n${partHeader("fichier", "x.csv")}${staffCsv(rows(1))}\r\n--${BOUNDARY}--\r\n`,
      );
      const res = await agent.c.send({
        method: "POST",
        url: "/console/admin/import",
        payload: body,
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(leftFiles(), had);
    });

    it("retries and cancels an outbound delivery: state in the database, audited, no subject shown", async () => {
      const subject = "Objet confidentiel du conseil de classe";
      await services.outboundQueue.enqueue(db(), {
        accountId: agent.account.id,
        envelopeFrom: agent.account.address,
        subject,
        raw: Buffer.from(`Subject: ${subject}\r\n\r\nCorps secret`),
        recipients: ["un@exemple.org", "deux@ailleurs.example"],
      });
      const ids = (
        await db()
          .selectFrom("outbound_delivery")
          .select(["id", "recipient"])
          .where("recipient", "in", ["un@exemple.org", "deux@ailleurs.example"])
          .orderBy("id")
          .execute()
      ).map((r) => Number(r.id));
      const [first, second] = ids as [number, number];
      clock.advance(60_000);
      await db()
        .updateTable("outbound_delivery")
        .set({ next_attempt_at: "2030-01-01T00:00:00.000Z", attempts: 2, last_error: "421 try later" })
        .where("id", "=", first)
        .execute();
      const page = await agent.c.get("/console/admin/file-envoi");
      assert.equal(page.statusCode, 200);
      assert.ok(!page.body.includes(subject), "no subject");
      assert.ok(!page.body.includes("Corps secret"));
      assert.ok(!page.body.includes("un@exemple.org"), "the domain only");
      assert.match(textOf(page.body), /exemple\.org en attente 2 .* 421 try later/);

      const retried = await agent.c.post(`/console/admin/file-envoi/${first}/reessayer`, {});
      assert.equal(retried.statusCode, 303);
      const row = await db()
        .selectFrom("outbound_delivery")
        .selectAll()
        .where("id", "=", first)
        .executeTakeFirstOrThrow();
      assert.equal(row.next_attempt_at, clock.now().toISOString());
      assert.equal(await auditCount("outbound.retried"), 1);

      await agent.c.get("/console/admin/file-envoi");
      const cancelled = await agent.c.post(`/console/admin/file-envoi/${second}/annuler`, {});
      assert.equal(cancelled.statusCode, 303);
      const gone = await db()
        .selectFrom("outbound_delivery")
        .selectAll()
        .where("id", "=", second)
        .executeTakeFirstOrThrow();
      assert.equal(gone.state, "failed");
      assert.equal(await auditCount("outbound.cancelled"), 1);

      await agent.c.get("/console/admin/file-envoi");
      const again = await agent.c.post(`/console/admin/file-envoi/${second}/annuler`, {});
      assert.equal(again.statusCode, 409);
      assert.match(textOf(again.body), /n'est plus en attente/);
      assert.equal(await auditCount("outbound.cancelled"), 1);
    });

    it("shows the running configuration without a secret", async () => {
      const page = await agent.c.get("/console/admin/configuration");
      assert.equal(page.statusCode, 200);
      assert.ok(!page.body.includes(ctx.config.secret), "the secret is masked");
      assert.match(textOf(page.body), /mailDomain/);
      assert.ok(page.body.includes(MASK));
      const masked = maskedConfig(
        testConfig({
          SESAME_DATABASE_URL: "postgres://sesame:motdepasse@db.example:5432/sesame",
          SESAME_REDIS_URL: "redis://:jeton-redis@cache.example:6379",
          SESAME_SMTP_RELAY_URL: "smtps://relais:cle-relais@smtp.example:465",
        }),
      );
      const all = JSON.stringify(masked);
      for (const secret of ["motdepasse", "jeton-redis", "cle-relais", "test-secret"])
        assert.ok(!all.includes(secret), secret);
      assert.ok(all.includes("db.example:5432"));
    });

    it("imports 100,000 rows from the browser within a reasonable time", async () => {
      const many = rows(100_000);
      const csv = Buffer.from(staffCsv(many));
      const before = await persons();
      const started = Date.now();
      await agent.c.get("/console/admin/import");
      const res = await upload(agent.c, { kind: "staff" }, csv);
      assert.equal(res.statusCode, 303);
      const dry = await settled(agent.c, location(res));
      assert.match(textOf(dry.body), /Créations 100000/);
      const dryMs = Date.now() - started;
      await agent.c.post(`${location(res)}/appliquer`, {});
      const done = await settled(agent.c, location(res));
      assert.match(textOf(done.body), /L'import est appliqué/);
      const totalMs = Date.now() - started;
      console.log(`# ${dialect}: 100,000 rows, dry run ${dryMs} ms, dry run + apply ${totalMs} ms`);
      assert.equal(await persons(), before + 100_000);
      assert.ok(totalMs < 300_000, `${totalMs} ms`);
    });

    it("keeps the departure guard of a full import, and applies it with the forced confirmation", async () => {
      const active = Number(
        (
          await db()
            .selectFrom("person")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("status", "=", "active")
            .executeTakeFirstOrThrow()
        ).n,
      );
      const kept = rows(5);
      await agent.c.get("/console/admin/import");
      const res = await upload(agent.c, { kind: "staff", full: "1" }, Buffer.from(staffCsv(kept)));
      const jobUrl = location(res);
      const dry = await settled(agent.c, jobUrl);
      const text = textOf(dry.body);
      assert.match(text, /Garde-fou des départs/);
      assert.match(text, new RegExp(`Départs ${active}`));
      assert.match(dry.body, /<table id="departs">/);
      const refused = await agent.c.post(`${jobUrl}/appliquer`, {});
      assert.equal(refused.statusCode, 400);
      assert.match(textOf(refused.body), /Cochez la confirmation des départs/);
      assert.equal(await auditCount("import.staff"), 3, "nothing more was imported");
      await agent.c.get(jobUrl);
      const forced = await agent.c.post(`${jobUrl}/appliquer`, { force: "1" });
      assert.equal(forced.statusCode, 303);
      // The agent's own person departs too: the result is read from the database.
      await new Promise<void>((resolve, reject) => {
        const end = Date.now() + 120_000;
        const poll = async () => {
          const n = await db()
            .selectFrom("audit_event")
            .select(["details"])
            .where("action", "=", "import.staff")
            .where("actor", "=", actor())
            .execute();
          const last = n.map((r) => JSON.parse(r.details) as Record<string, unknown>).find((d) => d.forced);
          if (last) {
            assert.equal(last.departed, active);
            resolve();
          } else if (Date.now() > end) reject(new Error("no forced import"));
          else setTimeout(() => void poll().catch(reject), 50);
        };
        void poll().catch(reject);
      });
    });
  });
}
