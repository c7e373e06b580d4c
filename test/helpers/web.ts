/**
 * In-process HTTP client for route tests: app.inject with a cookie jar, and the CSRF token taken
 * from the last page like a browser would submit it.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { type Challenge, solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { sql } from "kysely";
import type { Account } from "../../src/directory/directory.types.js";
import { openServices, type Services, type ServicesOptions } from "../../src/services.js";
import type { Redis } from "../../src/shared/redis.js";
import { buildApp } from "../../src/web/app.js";
import { type TestContext, tempDir, testConfig } from "./env.js";
import { type StaffRow, staffCsv, staffRow, writeCsv } from "./staff.js";

export class WebClient {
  readonly cookies = new Map<string, string>();
  csrf = "";
  constructor(
    readonly app: FastifyInstance,
    readonly ip = "192.0.2.10",
    /** Sent as User-Agent when given (else light-my-request's default). */
    readonly userAgent?: string,
  ) {}

  private baseHeaders(): Record<string, string> {
    return { cookie: this.cookieHeader(), ...(this.userAgent ? { "user-agent": this.userAgent } : {}) };
  }

  /** Any request, with this client's address, cookies and user agent; the reply is absorbed like a page. */
  async send(options: InjectOptions & { method: string; url: string }): Promise<LightMyRequestResponse> {
    return this.absorb(
      await this.app.inject({
        remoteAddress: this.ip,
        ...options,
        headers: { ...this.baseHeaders(), ...(options.headers as Record<string, string> | undefined) },
      } as InjectOptions),
    );
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private absorb(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies) {
      if (c.value === "" || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body) ?? /data-csrf="([^"]+)"/.exec(res.body);
    if (m?.[1]) this.csrf = m[1];
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.absorb(
      await this.app.inject({
        method: "GET",
        url,
        remoteAddress: this.ip,
        headers: { ...this.baseHeaders(), ...headers },
      }),
    );
  }

  /** Posts a form; `_csrf` is the token of the last page unless given. */
  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const payload = new URLSearchParams({ _csrf: this.csrf, ...form }).toString();
    return this.absorb(
      await this.app.inject({
        method: "POST",
        url,
        remoteAddress: this.ip,
        payload,
        headers: { "content-type": "application/x-www-form-urlencoded", ...this.baseHeaders(), ...headers },
      }),
    );
  }

  /** Opens the login page, then signs in. */
  async login(username: string, password: string): Promise<LightMyRequestResponse> {
    await this.get("/");
    return this.post("/connexion", { username, password });
  }
}

export async function testApp(services: Services): Promise<FastifyInstance> {
  const app = await buildApp({ services });
  await app.ready();
  return app;
}

/** Imports staff rows through the real HR import; returns the rows. */
export async function seedStaff(services: Services, rows: StaffRow[]): Promise<StaffRow[]> {
  const tmp = tempDir();
  try {
    const file = writeCsv(tmp.dir, "staff.csv", staffCsv(rows));
    const report = await services.staffImport.importFile(file, { actor: "test" });
    if (report.rejected.length > 0) throw new Error(`seed rejected: ${JSON.stringify(report.rejected)}`);
  } finally {
    tmp.remove();
  }
  return rows;
}

/** A unique staff row for a test (distinct NUMEN and name). */
let counter = Math.floor(Math.random() * 1_000_000);
export function uniqueStaff(overrides: Partial<StaffRow> = {}): StaffRow {
  counter += 1;
  return staffRow(counter, overrides);
}

export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

// ------------------------------------------------------------------------------------------------
// Additions for the portal route tests (login, sessions, bad input, several instances).

/** Decodes the few entities preact-render-to-string writes in attributes and text. */
export function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The opening tag of the `<input>` named `name`, or null. */
export function inputTag(html: string, name: string): string | null {
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    if (m[0].includes(` name="${name}"`)) return m[0];
  }
  return null;
}

/** The value an `<input>` shows (unescaped), "" when it has none; null when there is no such input. */
export function inputValue(html: string, name: string): string | null {
  const tag = inputTag(html, name);
  if (tag === null) return null;
  const m = / value="([^"]*)"/.exec(tag);
  return m?.[1] === undefined ? "" : unescapeHtml(m[1]);
}

/** The account created for a staff row (its academic account). */
export async function accountOf(services: Services, row: StaffRow): Promise<Account> {
  return services.directory.getAccount(row.numen);
}

/**
 * A second Services over the SAME database as `ctx` (the same SQLite file, or the same PostgreSQL
 * schema), like a second instance of the application or a restart with another configuration.
 * Close it before `ctx`.
 */
export async function openTwinServices(
  ctx: TestContext,
  overrides: Record<string, string> = {},
  options: ServicesOptions = {},
): Promise<{ services: Services; close(): Promise<void> }> {
  const config = testConfig({ SESAME_DATABASE_URL: ctx.config.databaseUrl, ...overrides });
  let database = options.database;
  if (ctx.dialect === "postgres") {
    const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(ctx.services.database.db);
    database = { searchPath: r.rows[0]?.schema ?? "public", poolSize: 4 };
  }
  const services = await openServices(config, { migrate: false, ...options, ...(database ? { database } : {}) });
  return {
    services,
    close: async () => {
      await services.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** Solves the ALTCHA challenge a page carries, as the widget would; the payload the form posts. */
export async function solveChallengeOf(html: string): Promise<string> {
  const m = /<altcha-widget\b[^>]*?\schallenge(?:json)?="([^"]*)"/.exec(html);
  if (!m?.[1]) throw new Error("the page carries no ALTCHA challenge");
  const challenge = JSON.parse(unescapeHtml(m[1])) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 30_000 });
  if (!solution) throw new Error("the test solver found no solution");
  return Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
}

/** Deletes every Redis key under a test prefix. */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/**
 * A page with its CSRF tokens replaced by a placeholder, for the tests that check that two answers
 * are the same page: the token is masked afresh for every page (BREACH defence), always at the same
 * length, so only its characters differ.
 */
export function withoutCsrfTokens(html: string): string {
  return html.replace(/(name="_csrf" value="|data-csrf=")[A-Za-z0-9_-]{86}"/g, '$1(jeton)"');
}

/** The `<input>` tag a `<label>` starting with `label` points to (its `for`), or null. */
export function labelledInput(html: string, label: string): string | null {
  for (const m of html.matchAll(/<label\b[^>]*\bfor="([^"]+)"[^>]*>([\s\S]*?)<\/label>/g)) {
    if (!textOf(m[2] ?? "").startsWith(label)) continue;
    for (const input of html.matchAll(/<input\b[^>]*>/g)) {
      if (input[0].includes(` id="${m[1]}"`)) return input[0];
    }
  }
  return null;
}

/** The hrefs of the links whose text is exactly `text`. */
export function linksTo(html: string, text: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<a\b[^>]*\bhref="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)) {
    if (textOf(m[2] ?? "") === text) out.push(unescapeHtml(m[1] ?? ""));
  }
  return out;
}

/** The text of the element with this id (first match; for small leaf elements such as error lists). */
export function textOfId(html: string, id: string): string | null {
  const m = new RegExp(`<(\\w+)\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return m ? textOf(m[2] ?? "") : null;
}

// ------------------------------------------------------------------------------------------------
// The mail views as text.

/** The list line of message `id`, as text (its checkbox's label included); fails when it is not listed. */
export function rowText(html: string, id: number): string {
  const m = new RegExp(`<li [^>]*data-message-id="${id}"[^>]*>([\\s\\S]*?)</li>`).exec(html);
  assert.ok(m, `the list shows message ${id}`);
  return unescapeHtml(textOf(m[1] ?? ""));
}

/** The reading view's banner of what the reception found about the sender, as text ("" when there is none). */
export function bannerText(html: string): string {
  const m = /<section class="notice notice--warning inbound-warnings"[^>]*>([\s\S]*?)<\/section>/.exec(html);
  return m ? unescapeHtml(textOf(m[1] ?? "")) : "";
}

// ------------------------------------------------------------------------------------------------
// The mailbox's tests: a staff member with a personal password, signed in.

/** The personal password of the accounts made by `staffWithPassword`. */
export const MAILBOX_PASSWORD = "Les hirondelles reviennent au printemps";

/** A staff member with a personal password (no forced change), for one test. */
export async function staffWithPassword(
  services: Services,
  names: { prenom?: string; nom?: string } = {},
): Promise<Account> {
  const row = uniqueStaff(names);
  await seedStaff(services, [row]);
  const account = await accountOf(services, row);
  await services.directory.setPasswordHash(account.id, await services.hasher.hash(MAILBOX_PASSWORD), "personal", null);
  return account;
}

let mailboxIp = 0;
/** A distinct client address per sign-in, so that no per-address rule ever applies. */
export function nextMailboxIp(): string {
  mailboxIp += 1;
  return `10.90.${(mailboxIp >> 8) & 255}.${mailboxIp & 255}`;
}

/** A staff member with a personal password, signed in to the webmail on a fresh client. */
export async function signedInClient(
  services: Services,
  app: FastifyInstance,
  names: { prenom?: string; nom?: string } = {},
): Promise<{ account: Account; c: WebClient }> {
  const account = await staffWithPassword(services, names);
  const c = new WebClient(app, nextMailboxIp());
  const res = await c.login(account.username, MAILBOX_PASSWORD);
  if (res.headers.location !== "/mail") throw new Error(`sign-in failed: ${res.statusCode} ${res.headers.location}`);
  return { account, c };
}
