/**
 * A console user for a test: an academic account granted a role, signed in to the console through
 * its pages (password, then the TOTP enrolment, the codes computed from the secret the page shows).
 */
import assert from "node:assert/strict";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { generate } from "otplib";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";
import type { Clock } from "../../src/shared/clock.js";
import { MAILBOX_PASSWORD, nextMailboxIp, staffWithPassword, WebClient } from "./web.js";

export function location(res: LightMyRequestResponse): string {
  return String(res.headers.location ?? "");
}

/** The TOTP secret the enrolment page shows (grouped by four). */
export function secretOf(html: string): string {
  const m = /<code class="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(html);
  assert.ok(m?.[1], "the secret is shown for manual entry");
  return m[1].replace(/ /g, "");
}

export function recoveryCodesOf(html: string): string[] {
  return [...html.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1] ?? "");
}

/** The TOTP code of `secret` at the clock's time (plus `offsetS`). */
export function totp(secret: string, clock: Clock, offsetS = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetS });
}

/** The console's sign-in form posted, and the page it leads to fetched (as a browser does). */
export async function consoleSignIn(
  app: FastifyInstance,
  account: Account,
): Promise<{ c: WebClient; res: LightMyRequestResponse }> {
  const c = new WebClient(app, nextMailboxIp());
  await c.get("/console/connexion");
  const res = await c.post("/console/connexion", { username: account.username, password: MAILBOX_PASSWORD });
  if (location(res)) await c.get(location(res));
  return { c, res };
}

/** An agent holding `role`, enrolled and signed in; the clock moved past the enrolment's code. */
export async function consoleAgent(
  services: Services,
  app: FastifyInstance,
  role: string,
  clock: Clock & { advance(ms: number): void },
): Promise<{ account: Account; c: WebClient; secret: string; codes: string[] }> {
  const account = await staffWithPassword(services);
  await services.console.grant(account.username, role, "cli:role grant");
  const { c, res } = await consoleSignIn(app, account);
  assert.equal(location(res), "/console/enrolement");
  const secret = secretOf((await c.get("/console/enrolement")).body);
  const done = await c.post("/console/enrolement", { code: await totp(secret, clock) });
  assert.equal(done.statusCode, 200);
  clock.advance(30_000);
  return { account, c, secret, codes: recoveryCodesOf(done.body) };
}
