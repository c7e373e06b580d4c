/**
 * In-process HTTP client for route tests: app.inject with a cookie jar, and the CSRF token taken
 * from the last page like a browser would submit it.
 */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Services } from "../../src/services.js";
import { buildApp } from "../../src/web/app.js";
import { tempDir } from "./env.js";
import { type StaffRow, staffCsv, staffRow, writeCsv } from "./staff.js";

export class WebClient {
  readonly cookies = new Map<string, string>();
  csrf = "";
  constructor(
    readonly app: FastifyInstance,
    readonly ip = "192.0.2.10",
  ) {}

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
        headers: { cookie: this.cookieHeader(), ...headers },
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
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: this.cookieHeader(), ...headers },
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
