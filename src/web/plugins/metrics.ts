/**
 * Prometheus metrics (prom-client), served on their own port (SESAME_METRICS_PORT, loopback unless
 * SESAME_METRICS_HOST) and never on the public one. The services know nothing of Prometheus; the
 * figures come from where they already are:
 * - HTTP: a hook on every request (the route's pattern, never the raw URL; the status; the time);
 * - sign-ins, Assistance journeys, throttles, messages sent: the audit entries as they are written
 *   (`AuditService.observe`: the same events the administration dashboard counts);
 * - SMTP and IMAP: the ProtocolMetrics port (src/shared/metrics.ts) the servers are given;
 * - the outbound queue, the argon2 gate, the database pool, open IMAP sessions: read when scraped;
 * - the process (memory, CPU, event-loop lag, GC): prom-client's default metrics.
 * Names follow Prometheus' conventions (`sesame_` prefix, `_total` counters, `_seconds`), and every
 * label takes its values from a bounded set: never a username, an address or a URL.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AuditEventInput } from "../../audit/audit.service.js";
import type { AuditAction } from "../../audit/audit-actions.js";
import type { Services } from "../../services.js";
import type { ProtocolMetrics, SmtpServerName } from "../../shared/metrics.js";

/** Where each audit actor signs in (login.service.ts and console.service.ts). */
const DOOR_OF_ACTOR: Readonly<Record<string, string>> = {
  "web:webmail": "webmail",
  "web:account": "account",
  imap: "imap",
  "smtp:submission": "submission",
  "web:console": "console",
};

const SIGN_IN_RESULT: Partial<Record<AuditAction, string>> = {
  "login.succeeded": "succeeded",
  "login.succeeded_must_change": "succeeded_must_change",
  "login.failed": "failed",
  "login.throttled": "throttled",
  "login.challenge_required": "challenge_required",
};

/** The Assistance's steps and results (recovery.service.ts), by audit action. */
const ASSISTANCE: Partial<Record<AuditAction, readonly [step: string, result: string]>> = {
  "recovery.numen_succeeded": ["numen", "succeeded"],
  "recovery.numen_succeeded_code_sent": ["numen", "succeeded_code_sent"],
  "recovery.numen_failed": ["numen", "failed"],
  "recovery.throttled": ["numen", "throttled"],
  "recovery.challenge_required": ["numen", "challenge_required"],
  "recovery.code_succeeded": ["code", "succeeded"],
  "recovery.link_requested": ["link", "requested"],
  "recovery.link_sent": ["link", "sent"],
  "recovery.link_throttled": ["link", "throttled"],
  "recovery.email_code_sent": ["recovery_email", "code_sent"],
  "recovery.email_change_cancelled": ["recovery_email", "change_cancelled"],
};

/** Throttles: one that starts (a failure that sets a block, the first refusal of a rate limit), an attempt refused. */
const THROTTLE: Partial<
  Record<
    AuditAction,
    (details: Readonly<Record<string, unknown>>) => readonly [limit: string, kind: "started" | "refused"] | null
  >
> = {
  "login.failed": (d) => (d.throttledUntil !== undefined ? ["login", "started"] : null),
  "login.throttled": () => ["login", "refused"],
  "recovery.numen_failed": (d) => (d.throttledUntil !== undefined ? ["recovery_numen", "started"] : null),
  "recovery.throttled": () => ["recovery_numen", "refused"],
  "recovery.link_throttled": () => ["reset_link", "refused"],
  "contacts.suggestions_throttled": () => ["suggestions", "started"],
  "smtp.harvesting_blocked": () => ["smtp_harvesting", "started"],
  "console.second_factor_throttled": () => ["console_second_factor", "refused"],
};

const HTTP_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** How long the outbound queue's figures (two queries) are reused between scrapes. */
const QUEUE_FIGURES_MS = 10_000;

/** An SMTP reply code as a label: the code when it is one (2xx-5xx), else `other`. */
function codeLabel(code: number): string {
  return Number.isInteger(code) && code >= 200 && code <= 599 ? String(code) : "other";
}

function resultOf(code: number): "accepted" | "deferred" | "refused" {
  if (code >= 200 && code < 300) return "accepted";
  if (code >= 500 && code < 600) return "refused";
  return "deferred";
}

export interface Metrics {
  readonly registry: Registry;
  /** For the SMTP and IMAP servers. */
  readonly protocol: ProtocolMetrics;
  /** Counts each HTTP request of `app` (call before the routes are registered). */
  instrument(app: FastifyInstance): void;
  /** The open IMAP sessions, read at each scrape (main.ts gives the running server's count). */
  watchImapSessions(count: () => number): void;
  /** The text Prometheus scrapes. */
  scrape(): Promise<string>;
}

export function createMetrics(services: Services): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const register = [registry];

  // HTTP
  const httpRequests = new Counter({
    name: "sesame_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers: register,
  });
  const httpDuration = new Histogram({
    name: "sesame_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route pattern.",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: register,
  });

  // From the audit trail
  const signIns = new Counter({
    name: "sesame_signins_total",
    help: "Sign-in attempts, by door (webmail, account, imap, submission, console) and result.",
    labelNames: ["door", "result"] as const,
    registers: register,
  });
  const assistance = new Counter({
    name: "sesame_assistance_steps_total",
    help: "Assistance (identification help) steps, by step and result.",
    labelNames: ["step", "result"] as const,
    registers: register,
  });
  const assistanceCompleted = new Counter({
    name: "sesame_assistance_completed_total",
    help: "Assistance journeys completed: a new password set through the Assistance.",
    registers: register,
  });
  const throttlesStarted = new Counter({
    name: "sesame_throttles_started_total",
    help: "Throttles that started (a failure that set a block, the first refusal of a rate limit), by limit.",
    labelNames: ["limit"] as const,
    registers: register,
  });
  const throttleRefusals = new Counter({
    name: "sesame_throttle_refusals_total",
    help: "Attempts refused while a throttle held, by limit.",
    labelNames: ["limit"] as const,
    registers: register,
  });
  const mailSent = new Counter({
    name: "sesame_mail_sent_total",
    help: "Messages sent by users (webmail and SMTP submission).",
    registers: register,
  });

  // SMTP and IMAP
  const smtpSessions = new Counter({
    name: "sesame_smtp_sessions_total",
    help: "SMTP connections accepted, by server (reception, submission).",
    labelNames: ["server"] as const,
    registers: register,
  });
  const smtpMessages = new Counter({
    name: "sesame_smtp_messages_total",
    help: "Final answers to DATA, by server, result (accepted, deferred, refused) and reply code.",
    labelNames: ["server", "result", "code"] as const,
    registers: register,
  });
  const imapConnections = new Counter({
    name: "sesame_imap_connections_total",
    help: "IMAP connections accepted, by port (plain, tls).",
    labelNames: ["port"] as const,
    registers: register,
  });
  const imapCommands = new Counter({
    name: "sesame_imap_commands_total",
    help: "IMAP commands answered, by command and tagged status (OK, NO, BAD).",
    labelNames: ["command", "status"] as const,
    registers: register,
  });
  let imapSessionCount: () => number = () => 0;
  new Gauge({
    name: "sesame_imap_sessions",
    help: "IMAP sessions open.",
    registers: register,
    collect() {
      this.set(imapSessionCount());
    },
  });

  // The outbound queue and the reception's intake (read from the database at most every QUEUE_FIGURES_MS)
  let queueFigures: Promise<{
    queued: number;
    sending: number;
    oldestAgeSeconds: number;
    intake: { waiting: number; failing: number };
  }> | null = null;
  let queueFiguresAt = 0;
  const readQueue = () => {
    const now = Date.now();
    if (!queueFigures || now - queueFiguresAt > QUEUE_FIGURES_MS) {
      queueFiguresAt = now;
      queueFigures = Promise.all([services.outboundQueue.counts(), services.outboundQueue.oldestWaitingAt()]).then(
        // The intake's counts after the queue's (one connection more at a time would be one too many).
        async ([counts, oldest]) => ({
          queued: counts.queued,
          sending: counts.sending,
          oldestAgeSeconds: oldest ? Math.max(0, (services.clock.now().getTime() - Date.parse(oldest)) / 1000) : 0,
          intake: await services.intake.counts(),
        }),
        (error: unknown) => {
          queueFigures = null;
          throw error;
        },
      );
    }
    return queueFigures;
  };
  new Gauge({
    name: "sesame_outbound_queue_depth",
    help: "Deliveries to external recipients waiting, by state (queued, sending).",
    labelNames: ["state"] as const,
    registers: register,
    async collect() {
      const figures = await readQueue();
      this.set({ state: "queued" }, figures.queued);
      this.set({ state: "sending" }, figures.sending);
    },
  });
  new Gauge({
    name: "sesame_outbound_queue_oldest_age_seconds",
    help: "Age of the oldest delivery still waiting (0 when none waits).",
    registers: register,
    async collect() {
      this.set((await readQueue()).oldestAgeSeconds);
    },
  });
  new Gauge({
    name: "sesame_smtp_intake_messages",
    help: "Messages answered 250 and not stored yet (every instance's), by state: waiting (all of them), failing (an attempt to store it failed; tried again later).",
    labelNames: ["state"] as const,
    registers: register,
    async collect() {
      const counts = (await readQueue()).intake;
      this.set({ state: "waiting" }, counts.waiting);
      this.set({ state: "failing" }, counts.failing);
    },
  });
  const seen = { sent: 0, retried: 0, failed: 0 };
  new Counter({
    name: "sesame_outbound_deliveries_total",
    help: "Delivery attempts through the SMTP relay by this instance, by result (sent, retried, failed).",
    labelNames: ["result"] as const,
    registers: register,
    collect() {
      const now = services.outboundQueue.delivered;
      for (const result of ["sent", "retried", "failed"] as const) {
        this.inc({ result }, now[result] - seen[result]);
        seen[result] = now[result];
      }
    },
  });

  // The argon2 gate
  new Gauge({
    name: "sesame_argon2_queue_length",
    help: "Password checks waiting for a core.",
    registers: register,
    collect() {
      this.set(services.hasher.load.waiting);
    },
  });
  new Gauge({
    name: "sesame_argon2_running",
    help: "Password checks running.",
    registers: register,
    collect() {
      this.set(services.hasher.load.running);
    },
  });
  let refusedSeen = 0;
  new Counter({
    name: "sesame_argon2_overloaded_total",
    help: "Password checks refused because the queue was full (answered 503).",
    registers: register,
    collect() {
      const refused = services.hasher.load.refused;
      this.inc(refused - refusedSeen);
      refusedSeen = refused;
    },
  });

  // The database pool (PostgreSQL; SQLite has none)
  const pool = services.database.pool;
  if (pool) {
    new Gauge({
      name: "sesame_db_pool_connections",
      help: "PostgreSQL pool connections, by state (idle, busy), and the pool's size (max).",
      labelNames: ["state"] as const,
      registers: register,
      collect() {
        const p = pool();
        this.set({ state: "idle" }, p.idle);
        this.set({ state: "busy" }, p.total - p.idle);
        this.set({ state: "max" }, p.max);
      },
    });
    new Gauge({
      name: "sesame_db_pool_waiting",
      help: "Queries waiting for a PostgreSQL pool connection.",
      registers: register,
      collect() {
        this.set(pool().waiting);
      },
    });
  }

  const onAudit = (event: AuditEventInput) => {
    const action = event.action;
    const details = event.details ?? {};
    const result = SIGN_IN_RESULT[action];
    const door = DOOR_OF_ACTOR[event.actor];
    // A password typed again in a live session is not a sign-in.
    if (result && door && details.reauth !== true) signIns.inc({ door, result });
    const step = ASSISTANCE[action];
    if (step) assistance.inc({ step: step[0], result: step[1] });
    if ((action === "password.changed" || action === "password.initial_replaced") && event.actor === "web:assistance") {
      assistanceCompleted.inc();
    }
    const throttle = THROTTLE[action]?.(details);
    if (throttle) (throttle[1] === "started" ? throttlesStarted : throttleRefusals).inc({ limit: throttle[0] });
    if (action === "mail.sent") mailSent.inc();
  };
  services.audit.observe((event) => {
    try {
      onAudit(event);
    } catch {
      // Counting never fails the action that is audited.
    }
  });

  const protocol: ProtocolMetrics = {
    smtpSession: (server: SmtpServerName) => smtpSessions.inc({ server }),
    smtpMessage: (server: SmtpServerName, code: number) =>
      smtpMessages.inc({ server, result: resultOf(code), code: codeLabel(code) }),
    imapConnection: (tls: boolean) => imapConnections.inc({ port: tls ? "tls" : "plain" }),
    imapCommand: (command, status) => imapCommands.inc({ command, status }),
  };

  return {
    registry,
    protocol,
    instrument(app) {
      app.addHook("onResponse", (req, reply, done) => {
        // The route's pattern (`/courrier/:folder`), never the URL: unmatched paths are one series.
        const route = req.routeOptions.url ?? "unmatched";
        const method = HTTP_METHODS.has(req.method) ? req.method : "OTHER";
        httpRequests.inc({ method, route, status: String(reply.statusCode) });
        httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
        done();
      });
    },
    watchImapSessions(count) {
      imapSessionCount = count;
    },
    scrape: () => registry.metrics(),
  };
}

export interface MetricsServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (and nothing else) on its own port. */
export async function listenMetrics(metrics: Metrics, port: number, host: string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text),
      (error: unknown) =>
        res.writeHead(500, { "Content-Type": "text/plain" }).end(`scrape failed: ${(error as Error).message}\n`),
    );
  });
  // A scraper's connection never holds the stop.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
