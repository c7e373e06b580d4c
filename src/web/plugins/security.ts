/**
 * Cookies, the server-side session of each request, and CSRF defence on every state-changing request:
 * a token tied to a random per-browser cookie and to the session of the form's area (HMAC with the
 * server secret), renewed at sign-in and sign-out, plus an Origin / Sec-Fetch-Site check (`Origin:
 * null` refused). The token is masked afresh for every page (BREACH: pages are compressed). Also the
 * body parsers: urlencoded forms only, parsed strictly.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import cookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Session } from "../../identity/session.service.js";
import type { Services } from "../../services.js";
import { keyedHash, randomToken, sha256Hex } from "../../shared/crypto.js";
import { parseUrlencoded } from "../forms.js";

declare module "fastify" {
  interface FastifyRequest {
    session: Session | null;
    sessionToken: string | undefined;
    /**
     * The token to put in this page's forms: masked with a fresh random pad at each read (read it
     * once per page), "" when the request has none (static files).
     */
    readonly csrfToken: string;
    /** The Assistance's own session (recovery or account page), separate from the webmail's. */
    assistanceSession: Session | null;
    assistanceToken: string | undefined;
    /** The console's own session (`/console`), separate from both. */
    consoleSession: Session | null;
    consoleToken: string | undefined;
  }
  interface FastifyReply {
    /** Sets the session cookie (after sign-in) and renews the CSRF cookie. */
    startSession(token: string, maxAgeMs: number): void;
    /** Clears the session cookie and renews the CSRF cookie. */
    endSession(): void;
    startAssistanceSession(token: string, maxAgeMs: number): void;
    endAssistanceSession(): void;
    startConsoleSession(token: string, maxAgeMs: number): void;
    endConsoleSession(): void;
  }
  interface FastifyContextConfig {
    /**
     * A public route that reads no cookie and changes nothing (the documents mail clients fetch to
     * configure themselves): no session is looked up, no CSRF cookie is set, and its POST carries no
     * token (a forged request can do nothing the client could not do itself, and reads nothing back).
     */
    sessionless?: boolean;
  }
}

export class CsrfError extends Error {
  readonly statusCode = 403;
}

export interface CookieNames {
  readonly session: string;
  readonly assistance: string;
  readonly console: string;
  readonly csrf: string;
}

export function cookieNames(https: boolean): CookieNames {
  // `__Host-` cookies must be Secure, which browsers refuse over plain http: the prefix is used
  // whenever the public URL is https (every real deployment).
  return https
    ? {
        session: "__Host-sesame",
        assistance: "__Host-sesame-assistance",
        console: "__Host-sesame-console",
        csrf: "__Host-sesame-csrf",
      }
    : { session: "sesame", assistance: "sesame-assistance", console: "sesame-console", csrf: "sesame-csrf" };
}

/**
 * The `_csrf` field of a form: one string. The one multipart form (the compose page) has its text
 * parts turned into plain fields before this check (`routes/compose.routes.tsx`), so it reads the
 * same; a repeated field or anything else is no token.
 */
function csrfField(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("_csrf" in body)) return undefined;
  return typeof body._csrf === "string" ? body._csrf : undefined;
}

/** Bytes of the token before masking (an HMAC-SHA-256). */
const TOKEN_BYTES = 32;
/** Length of a masked token: base64url of pad and masked token, without padding. */
const MASKED_LENGTH = Math.ceil((2 * TOKEN_BYTES * 4) / 3);

/**
 * BREACH defence: a compressed page must not carry the same secret bytes from one response to the
 * next, or a page that also reflects text an attacker chooses (a subject, a search) lets them guess
 * the token from the compressed sizes. So the page gets `pad || (pad XOR token)` with a fresh random
 * pad, in base64url (as Django and Rails do); `unmaskToken` gives the token back.
 */
export function maskToken(token: Buffer): string {
  const pad = randomBytes(token.length);
  const masked = Buffer.allocUnsafe(token.length * 2);
  pad.copy(masked, 0);
  for (let i = 0; i < token.length; i++) masked[token.length + i] = (pad[i] as number) ^ (token[i] as number);
  return masked.toString("base64url");
}

/** The token a masked one carries; null for anything that is not a masked token (an unmasked one included). */
export function unmaskToken(given: string): Buffer | null {
  if (given.length !== MASKED_LENGTH) return null;
  const masked = Buffer.from(given, "base64url");
  // Only the canonical spelling: no other alphabet, padding or trailing bits.
  if (masked.length !== 2 * TOKEN_BYTES || masked.toString("base64url") !== given) return null;
  const token = Buffer.allocUnsafe(TOKEN_BYTES);
  for (let i = 0; i < TOKEN_BYTES; i++) {
    token[i] = (masked[i] as number) ^ (masked[TOKEN_BYTES + i] as number);
  }
  return token;
}

/** Methods that change nothing, so carry no CSRF token; every other one is checked. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The Assistance and the console have their own session cookies; every other URL is the webmail's. */
type Area = "session" | "assistance" | "console";
function areaOf(url: string): Area {
  if (url.startsWith("/assistance")) return "assistance";
  if (url === "/console" || url.startsWith("/console/") || url.startsWith("/console?")) return "console";
  return "session";
}

/** The session cookies a browser will send after this response (as sent, then as set or cleared). */
type HeldSessions = Record<Area, string | undefined>;

async function securityPlugin(app: FastifyInstance, { services }: { services: Services }) {
  const { config } = services;
  const https = config.publicUrl.startsWith("https:");
  const names = cookieNames(https);
  const publicOrigin = new URL(config.publicUrl).origin;
  const base = { path: "/", httpOnly: true, secure: https, sameSite: "lax" as const };
  // The token is bound to the browser's CSRF cookie and, once there is one, to the session cookie of
  // the URL's area (the webmail's, or the Assistance's under /assistance): a cookie and token pair
  // taken in another browser is worth nothing with the victim's session. A session cookie that
  // disappears without a sign-in or sign-out (the browser dropping it at its max-age) makes the
  // open forms expire, like the session itself. A token without a session is computed as before the
  // binding existed, so the login forms open during an upgrade still work.
  const tokenFor = (csrfCookie: string, sessionCookie: string | undefined): Buffer =>
    Buffer.from(
      sessionCookie
        ? keyedHash(config.secret, `csrf:${sha256Hex(sessionCookie)}:${csrfCookie}`)
        : keyedHash(config.secret, `csrf:${csrfCookie}`),
      "hex",
    );
  /** The unmasked token of each request's forms; `req.csrfToken` masks it at each read. */
  const tokens = new WeakMap<FastifyRequest, Buffer>();
  const held = new WeakMap<FastifyRequest, HeldSessions>();
  const heldOf = (req: FastifyRequest): HeldSessions => {
    let sessions = held.get(req);
    if (!sessions) {
      sessions = {
        session: req.cookies[names.session],
        assistance: req.cookies[names.assistance],
        console: req.cookies[names.console],
      };
      held.set(req, sessions);
    }
    return sessions;
  };
  /** The session cookie the token of this request's forms is bound to. */
  const boundCookie = (req: FastifyRequest, sessions: HeldSessions) => sessions[areaOf(req.url)];
  /**
   * The token sent must be the one of this browser's CSRF cookie and of the session cookie it sends
   * (as sent: a session that expired after the form was made is the route's to report). A session
   * cookie that opens no session (expired, or planted before a sign-in) is worth no more than none,
   * so the token made without one is accepted then too. Only a masked token is accepted, compared
   * in constant time once unmasked.
   */
  const csrfAccepted = (req: FastifyRequest, csrfCookie: string, given: string): boolean => {
    const token = unmaskToken(given);
    if (!token) return false;
    const area = areaOf(req.url);
    const sessionCookie = req.cookies[names[area]];
    if (timingSafeEqual(token, tokenFor(csrfCookie, sessionCookie))) return true;
    const live = { session: req.session, assistance: req.assistanceSession, console: req.consoleSession }[area];
    return Boolean(sessionCookie) && !live && timingSafeEqual(token, tokenFor(csrfCookie, undefined));
  };

  // Bodies: urlencoded forms only, the one format the pages (and the page script) send. Fastify's
  // default JSON and text parsers would let a script post a login or a password change without the
  // form (a JSON login succeeded); any other content type is now a 415. The parser is strict: a
  // malformed escape or invalid UTF-8 (`%FF%FE`) is a 400, not raw text checked as a password.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, parseUrlencoded(String(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  await app.register(cookie);
  app.decorateRequest("session", null);
  app.decorateRequest("sessionToken", undefined);
  app.decorateRequest("csrfToken", {
    getter(this: FastifyRequest): string {
      const token = tokens.get(this);
      return token ? maskToken(token) : "";
    },
  });
  app.decorateRequest("assistanceSession", null);
  app.decorateRequest("assistanceToken", undefined);
  app.decorateRequest("consoleSession", null);
  app.decorateRequest("consoleToken", undefined);

  const renewCsrf = (reply: FastifyReply) => {
    const value = randomToken(32);
    reply.setCookie(names.csrf, value, base);
    tokens.set(reply.request, tokenFor(value, boundCookie(reply.request, heldOf(reply.request))));
  };
  // Each session (the webmail's, the Assistance's) is started and ended the same way: its cookie,
  // what the browser will send from now on, and a fresh CSRF token.
  const SESSION_DECORATORS = [
    ["session", "startSession", "endSession"],
    ["assistance", "startAssistanceSession", "endAssistanceSession"],
    ["console", "startConsoleSession", "endConsoleSession"],
  ] as const;
  for (const [kind, start, end] of SESSION_DECORATORS) {
    app.decorateReply(start, function (this: FastifyReply, token: string, maxAgeMs: number) {
      this.setCookie(names[kind], token, { ...base, maxAge: Math.floor(maxAgeMs / 1000) });
      heldOf(this.request)[kind] = token;
      renewCsrf(this);
    });
    app.decorateReply(end, function (this: FastifyReply) {
      this.clearCookie(names[kind], base);
      heldOf(this.request)[kind] = undefined;
      renewCsrf(this);
    });
  }

  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url.startsWith("/static/") || req.url === "/healthz" || req.routeOptions.config.sessionless) return;
    const token = req.cookies[names.session];
    const sessions = heldOf(req);
    req.sessionToken = token;
    req.session = token ? await services.sessions.resolve(token) : null;
    if (token && !req.session) {
      reply.clearCookie(names.session, base);
      sessions.session = undefined;
    }
    if (areaOf(req.url) === "console") {
      const held = req.cookies[names.console];
      req.consoleToken = held;
      req.consoleSession = held ? await services.consoleSessions.resolve(held) : null;
      if (held && !req.consoleSession) {
        reply.clearCookie(names.console, base);
        sessions.console = undefined;
      }
    }
    if (areaOf(req.url) === "assistance") {
      const assistance = req.cookies[names.assistance];
      req.assistanceToken = assistance;
      req.assistanceSession = assistance ? await services.sessions.resolve(assistance) : null;
      if (assistance && !req.assistanceSession) {
        reply.clearCookie(names.assistance, base);
        sessions.assistance = undefined;
      }
    }
    const csrfCookie = req.cookies[names.csrf];
    if (csrfCookie && csrfCookie.length <= 128) tokens.set(req, tokenFor(csrfCookie, boundCookie(req, sessions)));
    else if (req.method === "GET" || req.method === "HEAD") renewCsrf(reply);
  });

  app.addHook("preHandler", async (req: FastifyRequest) => {
    if (SAFE_METHODS.has(req.method) || req.routeOptions.config.sessionless) return;
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") throw new CsrfError("cross-site request");
    // `Origin: null` (a sandboxed frame, a data: URL, a redirect from elsewhere) is refused like any
    // foreign origin; the pages' `Referrer-Policy: same-origin` keeps the browser sending the real
    // origin on their own forms (`no-referrer` would make it send `null`).
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== publicOrigin) {
      const own = `${req.protocol}://${req.headers.host ?? ""}`;
      if (origin !== own) throw new CsrfError(origin === "null" ? "opaque origin" : "foreign origin");
    }
    const csrfCookie = req.cookies[names.csrf];
    const sent = csrfField(req.body);
    const header = req.headers["x-csrf-token"];
    const given = typeof sent === "string" ? sent : typeof header === "string" ? header : undefined;
    if (!csrfCookie || csrfCookie.length > 128 || given === undefined || !csrfAccepted(req, csrfCookie, given)) {
      throw new CsrfError("missing or wrong CSRF token");
    }
  });
}

export const security = fp(securityPlugin, { name: "sesame-security" });
