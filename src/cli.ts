/**
 * The `sesame` command: parse, call one service, print. Messages are English (operators);
 * exit codes: 0 done, 1 done with rejected rows, 2 usage or file error, or a `--full` import refused
 * by the departure guard.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isAuditAction } from "./audit/audit-actions.js";
import { type Config, ConfigError, loadConfig } from "./config/config.js";
import type { Account } from "./directory/directory.types.js";
import type { StaffImportReport } from "./directory/staff-import.service.js";
import { STORE_BEFORE_TIMEOUT_MS } from "./mail/intake.js";
import type { Services } from "./services.js";
import { RUNS_BUILD } from "./shared/build.js";
import { isDomainError } from "./shared/errors.js";
import { RedisUnreachableError } from "./shared/redis.js";

// The services, the web server and the database are imported when a command needs them: a usage
// or configuration error answers at once, and `db migrate` or `import` do not load the web stack.
const loadServices = () => import("./services.js");

const USAGE = `Usage: sesame <command> [options]

Commands:
  start                                Fill an empty directory with the demo académie, then serve
  serve                                Run the service (web and SMTP reception; runs pending
                                       migrations; adds no data)
  db migrate                           Run pending database migrations
  import staff FILE.csv [--full [--force]] [--dry-run] [--json]
                                       Import the HR staff export (numen;civilite;nom;prenom;
                                       date_naissance;categorie;uai). --full: people missing from
                                       the file become departed; refused (exit 2) when more than
                                       5% of the active people (and more than 10) would depart,
                                       unless --force
  import establishments FILE.csv [--dry-run] [--json]
                                       Import establishments (uai;libelle;numen_chef) and their
                                       functional accounts ce.<uai>
  account create-external --nom N --prenom P --recovery-email E [--json]
  account show IDENT [--json]          IDENT: username, address or NUMEN
  account disable IDENT
  demo                                 Fill an empty directory with a generated académie
  audit [--since YYYY-MM-DD] [--action A] [--limit N] [--json]
                                       Print the audit trail, newest first
  audit purge                          Delete the audit events older than
                                       SESAME_AUDIT_RETENTION_DAYS (the service also does it
                                       daily); prints how many were deleted
  config check                         Print the effective configuration (secrets masked) and
                                       check the database, Redis, the SMTP relay, the TLS and
                                       DKIM files and the secret; exits 1 naming what fails
  backup FILE                          Save a SQLite installation (database, message bodies and
                                       secret) into one file while it serves; on PostgreSQL,
                                       says how to use pg_dump
  restore FILE [--force]               Put such a file back as the data folder's database and
                                       secret (--force: replace an existing database; stop the
                                       service first)
  outbox [--to ADDRESS] [--limit N] [--json]
                                       Print the messages kept in the local outbox (no SMTP relay
                                       configured), newest first: reset links, notifications;
                                       then users' mail waiting for external recipients (state,
                                       recipient, attempts, next attempt, last error)
  reports [--since YYYY-MM-DD] [--json]
                                       List the messages users reported as phishing, by
                                       Message-ID: how many reported each, how many local
                                       mailboxes hold a copy, the sender's domain
  mail intake [--json]                 Print the messages the SMTP reception answered 250 and has
                                       not stored yet (a burst's, stored a moment later), those
                                       whose store failed first, with the error and next attempt
  mail quarantine (--message-id ID | --sender ADDRESS) [--release] [--reason TEXT] [--dry-run]
                                       Move every local copy of that message, or every message
                                       from that address (Sent and drafts left out), in all
                                       mailboxes to Indésirables; never deletes. --release puts
                                       back in the inbox what is in Indésirables. Audited, with
                                       the reason when given
  role grant|revoke USERNAME ROLE      Grant or revoke a console role (assistance, admin,
                                       securite) to an academic account; the first admin is made
                                       here. Revoking ends the account's console sessions
  role list [--json]                   List who holds which console role
`;

class UsageError extends Error {}

/** Rows `sesame mail intake` prints at most. */
const INTAKE_LISTED = 100;

const out = (line = "") => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** A listener refused by the system: its port taken, or a privileged port without the capability. */
function isListenError(
  error: unknown,
): error is NodeJS.ErrnoException & { code: "EADDRINUSE" | "EACCES"; address: string; port: number } {
  const e = error as (NodeJS.ErrnoException & { address?: unknown; port?: unknown }) | null;
  return (
    e instanceof Error &&
    (e.code === "EADDRINUSE" || e.code === "EACCES") &&
    e.syscall === "listen" &&
    typeof e.address === "string" &&
    typeof e.port === "number"
  );
}

function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function progressBar(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${pct}%`);
    if (pct === 100) process.stderr.write("\n");
  };
}

/** Share of `part` in `whole`, for a message: "95%", "0.4%". */
function percent(part: number, whole: number): string {
  if (whole === 0) return "100%";
  const pct = (part / whole) * 100;
  return `${pct >= 10 ? Math.round(pct) : Math.round(pct * 10) / 10}%`;
}

/** The departure guard's rule (the service's constants), given by the staff import for its messages. */
interface DepartureRule {
  readonly maxShare: number;
  readonly alwaysAllowed: number;
}

/** The departure guard's refusal, for the operator: the figures, the rule and how to proceed. */
function departureRefusal(report: StaffImportReport, dryRun: boolean, rule: DepartureRule | undefined): string[] {
  const active = report.departures?.active ?? 0;
  const max = report.departures?.maxDepartures ?? 0;
  const ruleText = rule
    ? ` (${Math.round(rule.maxShare * 100)}% of the active people, and always up to ${rule.alwaysAllowed})`
    : "";
  const figures = `${report.departed} of the ${active} active people would become departed (${percent(report.departed, active)}) and their academic accounts disabled, more than the ${max} a --full import may depart without --force${ruleText}`;
  return dryRun
    ? [`sesame: without --force, this import would be refused: ${figures}.`]
    : [
        `sesame: import refused, nothing was written: ${figures}.`,
        "Check that the file is the complete HR export of the académie, not a partial extract; if these departures are expected, run the same command again with --force.",
      ];
}

function printImport(report: StaffImportReport, json: boolean, dryRun: boolean, rule?: DepartureRule): number {
  const guarded = report.refused === "too_many_departures";
  if (json) {
    const { created, updated, unchanged, departed, rejected, applied } = report;
    const refused =
      report.refused === "too_many_rejected"
        ? { reason: report.refused, rejected: rejected.length, rows: report.rows }
        : guarded
          ? {
              reason: report.refused,
              departing: departed,
              active: report.departures?.active,
              maxDepartures: report.departures?.maxDepartures,
            }
          : undefined;
    const forced = report.departures?.forced
      ? { active: report.departures.active, maxDepartures: report.departures.maxDepartures }
      : undefined;
    out(
      JSON.stringify({
        created,
        updated,
        unchanged,
        departed,
        rejected,
        applied,
        ...(refused ? { refused } : {}),
        ...(forced ? { forced } : {}),
      }),
    );
  } else {
    for (const r of report.rejected.slice(0, 100)) out(`line ${r.line}: ${r.reason}`);
    if (report.rejected.length > 100) out(`… and ${report.rejected.length - 100} more rejected rows (use --json)`);
    const verb = report.applied ? "" : " (would be)";
    out(
      `${report.rows} rows: ${report.created} created${verb}, ${report.updated} updated${verb}, ${report.unchanged} unchanged, ${report.departed} departed${verb}, ${report.rejected.length} rejected`,
    );
    if (dryRun) out("Dry run: nothing was written.");
    // The establishments import sets no `refused`: not applied outside a dry run means too many rejected.
    const tooManyRejected =
      report.refused === "too_many_rejected" || (report.refused === undefined && !dryRun && !report.applied);
    if (tooManyRejected) {
      out(
        dryRun
          ? "More than 10% of the rows are rejected: the real import would write nothing. Fix the file first."
          : "More than 10% of the rows were rejected: nothing was imported. Fix the file and import it again.",
      );
    }
    if (report.departures?.forced && report.applied) {
      out(
        `--force: ${report.departed} of the ${report.departures.active} active people departed, beyond the ${report.departures.maxDepartures} allowed without it (recorded in the audit trail).`,
      );
    }
  }
  if (guarded) {
    // On stderr in both modes, so that --json keeps one JSON line on stdout.
    for (const line of departureRefusal(report, dryRun, rule)) err(line);
    return 2;
  }
  return report.rejected.length > 0 ? 1 : 0;
}

function accountJson(a: Account) {
  return {
    username: a.username,
    address: a.address,
    kind: a.kind,
    passwordState: a.passwordState,
    disabled: a.disabled,
    holder:
      a.holder.type === "person"
        ? {
            type: "person",
            civilite: a.holder.civilite,
            nom: a.holder.nom,
            prenom: a.holder.prenom,
            categorie: a.holder.categorie,
            uai: a.holder.uai,
            status: a.holder.status,
          }
        : { type: "external", nom: a.holder.nom, prenom: a.holder.prenom, recoveryEmail: a.recoveryEmail },
    ...(a.establishmentUai ? { establishment: a.establishmentUai } : {}),
    createdAt: a.createdAt,
  };
}

function printAccount(a: Account, json: boolean): void {
  if (json) {
    out(JSON.stringify(accountJson(a)));
    return;
  }
  const holder =
    a.holder.type === "person"
      ? `${a.holder.prenom} ${a.holder.nom} (${a.holder.status})`
      : `${a.holder.prenom} ${a.holder.nom} (external, recovery ${a.recoveryEmail})`;
  out(`username:       ${a.username}`);
  out(`address:        ${a.address}`);
  out(`kind:           ${a.kind}`);
  out(`holder:         ${holder}`);
  out(`password state: ${a.passwordState}`);
  out(`disabled:       ${a.disabled ? "yes" : "no"}`);
}

async function withServices<T>(config: Config, fn: (s: Services) => Promise<T>): Promise<T> {
  const { openServices } = await loadServices();
  const services = await openServices(config);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

async function printDemoIdentities(services: Services, url: string): Promise<void> {
  const ids = await services.demo.identities();
  if (ids.length === 0) return;
  out("Demo identities (generated académie):");
  for (const id of ids) out(`  - ${id.role}: ${id.username} / ${id.password} — ${id.hint}`);
  out(`Open ${url} and sign in with one of them.`);
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const config = loadConfig();
  const actor = `cli:${[command, rest[0]].filter((x) => x && !x.startsWith("-")).join(" ")}`;

  switch (command) {
    case "serve":
    case "start": {
      parse(rest, {});
      const [{ openServices }, { startServer, stopOnSignals }] = await Promise.all([
        loadServices(),
        import("./main.js"),
      ]);
      const services = await openServices(config);
      if (command === "start" && (await services.directory.isEmpty())) {
        out("Empty directory: creating the demo académie (2,000 staff, 50 establishments, 20 external users)…");
        await services.demo.fill("cli:start");
      }
      // A door that cannot listen (its port taken, a privileged port) ends the command: the services
      // are closed too, or their connections (Redis, PostgreSQL) and timers would keep the process
      // alive with nothing listening, a service that looks up to its supervisor.
      const server = await startServer(config, services).catch(async (error: unknown) => {
        await services.close().catch(() => {});
        throw error;
      });
      stopOnSignals(server);
      out(`Sésame (${config.academieName}) is running at ${config.publicUrl}/ (listening on ${server.url})`);
      out(`SMTP reception for @${config.mailDomain} listening on ${config.smtpHost}:${server.smtpPort}`);
      out(`SMTP submission (mail clients, AUTH) listening on ${config.smtpHost}:${server.submissionPort}`);
      out(
        `IMAP (mail clients) listening on ${config.smtpHost}:${server.imapPort}${server.imapsPort === null ? " (no TLS certificate: log in from this machine only)" : `, IMAPS on ${config.smtpHost}:${server.imapsPort}`}`,
      );
      // Which code runs: the build (`npm run build`, dist/) or, without a current one, the sources.
      out(
        RUNS_BUILD
          ? "Running the JavaScript build (dist/)"
          : "Running the TypeScript sources through tsx (no current build: npm run build)",
      );
      if (command === "start") await printDemoIdentities(services, `${config.publicUrl}/`);
      return -1; // keep running
    }
    case "db": {
      const { positionals } = parse(rest, {});
      if (positionals[0] !== "migrate") throw new UsageError("expected: sesame db migrate");
      const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
        import("./storage/database.js"),
        import("./storage/migrate.js"),
      ]);
      const database = openDatabase(config.databaseUrl);
      try {
        const report = await migrateToLatest(database);
        out(report.applied.length ? `Applied: ${report.applied.join(", ")}` : "The database is up to date.");
      } finally {
        await database.close();
      }
      return 0;
    }
    case "import": {
      const { values, positionals } = parse(rest, {
        full: { type: "boolean" },
        force: { type: "boolean" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
      });
      const [what, file, ...extra] = positionals;
      if (!file || extra.length > 0) throw new UsageError("expected: sesame import staff|establishments FILE.csv");
      const json = values.json === true;
      const dryRun = values["dry-run"] === true;
      if (what === "staff") {
        if (values.force && !values.full) throw new UsageError("--force applies to a --full staff import only");
        const staffImport = await import("./directory/staff-import.service.js");
        await staffImport.checkStaffFile(file);
        const onProgress = json ? undefined : progressBar("Importing");
        const report = await withServices(config, (s) =>
          s.staffImport.importFile(file, {
            actor,
            full: values.full === true,
            force: values.force === true,
            dryRun,
            ...(onProgress ? { onProgress } : {}),
          }),
        );
        return printImport(report, json, dryRun, {
          maxShare: staffImport.MAX_DEPARTURE_SHARE,
          alwaysAllowed: staffImport.ALWAYS_ALLOWED_DEPARTURES,
        });
      }
      if (what === "establishments") {
        if (values.full || values.force) throw new UsageError("--full and --force apply to the staff import only");
        await (await import("./directory/directory.service.js")).checkEstablishmentsFile(file);
        const report = await withServices(config, (s) => s.directory.importEstablishments(file, { actor, dryRun }));
        return printImport(report, json, dryRun);
      }
      throw new UsageError("expected: sesame import staff|establishments FILE.csv");
    }
    case "account": {
      const { values, positionals } = parse(rest, {
        nom: { type: "string" },
        prenom: { type: "string" },
        "recovery-email": { type: "string" },
        json: { type: "boolean" },
      });
      const [sub, ident] = positionals;
      const json = values.json === true;
      if (sub === "create-external") {
        if (!values.nom || !values.prenom || !values["recovery-email"]) {
          throw new UsageError("expected: sesame account create-external --nom N --prenom P --recovery-email E");
        }
        const input = { nom: values.nom, prenom: values.prenom, recoveryEmail: values["recovery-email"] };
        const account = await withServices(config, (s) => s.directory.createExternal(input, actor));
        printAccount(account, json);
        return 0;
      }
      if ((sub === "show" || sub === "disable") && ident && positionals.length === 2) {
        const account = await withServices(config, (s) =>
          sub === "show" ? s.directory.getAccount(ident) : s.directory.disableAccount(ident, actor),
        );
        if (sub === "disable" && !json) out(`Account ${account.username} is disabled.`);
        else printAccount(account, json);
        return 0;
      }
      throw new UsageError("expected: sesame account create-external|show IDENT|disable IDENT");
    }
    case "demo": {
      parse(rest, {});
      await withServices(config, async (s) => {
        await s.demo.fill(actor);
        out("Demo académie created.");
        await printDemoIdentities(s, config.publicUrl);
      });
      return 0;
    }
    case "audit": {
      if (rest[0] === "purge") {
        if (parse(rest.slice(1), {}).positionals.length > 0) throw new UsageError("expected: sesame audit purge");
        const purged = await withServices(config, (s) => s.auditRetention.purge(actor));
        out(`${purged.count} audit events before ${purged.cutoff} deleted.`);
        return 0;
      }
      const { values } = parse(rest, {
        since: { type: "string" },
        action: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
      });
      let since: Date | undefined;
      if (values.since !== undefined) {
        since = new Date(values.since);
        if (Number.isNaN(since.getTime()))
          throw new UsageError("--since expects a date such as 2026-09-01 or an ISO time");
      }
      const limit = values.limit === undefined ? 1000 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit expects a positive whole number");
      const action = values.action || undefined;
      const events = await withServices(config, async (s) =>
        // An action the trail never records matches no event.
        action === undefined || isAuditAction(action)
          ? s.audit.list({ limit, ...(since ? { since } : {}), ...(action ? { action } : {}) })
          : [],
      );
      for (const e of events) {
        out(
          values.json
            ? JSON.stringify(e)
            : `${e.at}  ${e.actor.padEnd(24)} ${e.action.padEnd(22)} ${e.entity}${e.entityId ? `#${e.entityId}` : ""} ${JSON.stringify(e.details)}`,
        );
      }
      return 0;
    }
    case "outbox": {
      const { values, positionals } = parse(rest, {
        to: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
      });
      if (positionals.length > 0) throw new UsageError("expected: sesame outbox [--to ADDRESS] [--limit N] [--json]");
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new UsageError("--limit expects a whole number between 1 and 10000");
      }
      const to = values.to;
      if (to !== undefined && !/^[^\s@]+@[^\s@]+$/.test(to.trim())) {
        throw new UsageError("--to expects an e-mail address");
      }
      if (config.smtpRelayUrl && !values.json) {
        err("note: SESAME_SMTP_RELAY_URL is set, so new messages go to the relay and not to this outbox");
      }
      const { messages, queue } = await withServices(config, async (s) => ({
        messages: await s.outbound.listOutbox({ limit, ...(to !== undefined ? { to } : {}) }),
        queue: (await s.outboundQueue.list(limit)).filter(
          (q) => to === undefined || q.recipient.toLowerCase() === to.trim().toLowerCase(),
        ),
      }));
      for (const m of messages) {
        if (values.json) {
          const { id, createdAt, recipient, subject, text } = m;
          out(JSON.stringify({ id, createdAt, recipient, subject, text }));
        } else {
          out(`Date:    ${m.createdAt}`);
          out(`To:      ${m.recipient}`);
          out(`Subject: ${m.subject}`);
          out();
          out(m.text);
          out("-".repeat(72));
        }
      }
      if (messages.length === 0 && !values.json) out("The outbox is empty.");
      // Users' mail to external recipients (the outbound queue), shown only when it holds something.
      if (queue.length > 0 && !values.json) {
        out();
        out("Outbound queue (users' mail to external recipients):");
        for (const q of queue) {
          out(
            `${q.state.padEnd(8)} ${q.recipient}  attempts: ${q.attempts}  next: ${q.state === "queued" ? q.nextAttemptAt : "-"}  created: ${q.createdAt}${q.lastError ? `  last error: ${q.lastError}` : ""}`,
          );
        }
        if (!config.smtpRelayUrl) out("(no SESAME_SMTP_RELAY_URL: queued messages wait until a relay is configured)");
      }
      if (values.json) {
        for (const q of queue) {
          const { recipient, state, attempts, nextAttemptAt, lastError, createdAt, expiresAt } = q;
          out(
            JSON.stringify({ queue: true, recipient, state, attempts, nextAttemptAt, lastError, createdAt, expiresAt }),
          );
        }
      }
      return 0;
    }
    case "reports": {
      const { values, positionals } = parse(rest, { since: { type: "string" }, json: { type: "boolean" } });
      if (positionals.length > 0) throw new UsageError("expected: sesame reports [--since YYYY-MM-DD] [--json]");
      let since: Date | undefined;
      if (values.since !== undefined) {
        since = new Date(values.since);
        if (Number.isNaN(since.getTime())) {
          throw new UsageError("--since expects a date such as 2026-09-01 or an ISO time");
        }
      }
      const reports = await withServices(config, (s) => s.reports.list(since ? { since } : {}));
      for (const r of reports) {
        out(
          values.json
            ? JSON.stringify(r)
            : `${r.lastReportedAt}  reported by ${r.reporters}, in ${r.mailboxes} mailbox${r.mailboxes === 1 ? "" : "es"}  ${r.senderDomain || "(no sender domain)"}  ${r.messageId || "(no Message-ID)"}`,
        );
      }
      if (reports.length === 0 && !values.json) out("No message was reported.");
      return 0;
    }
    case "mail": {
      const { values, positionals } = parse(rest, {
        "message-id": { type: "string" },
        sender: { type: "string" },
        release: { type: "boolean" },
        reason: { type: "string" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
      });
      if (positionals[0] === "intake") {
        if (positionals.length !== 1) throw new UsageError("expected: sesame mail intake [--json]");
        const [counts, entries] = await withServices(config, (s) =>
          Promise.all([s.intake.counts(), s.intake.list(INTAKE_LISTED)]),
        );
        if (values.json === true) {
          for (const e of entries) out(JSON.stringify(e));
          return 0;
        }
        out(
          `${counts.waiting} message${counts.waiting === 1 ? "" : "s"} answered 250 and not stored yet, ${counts.failing} failing.`,
        );
        for (const e of entries) {
          out(
            `#${e.id}  received ${e.receivedAt}  ${e.size} bytes  to ${e.recipients.join(", ")}` +
              (e.attempts > 0
                ? `  ${e.attempts} failed attempt(s), next ${e.nextAttemptAt}: ${e.lastError ?? ""}`
                : ""),
          );
        }
        if (counts.waiting > entries.length) out(`(the first ${entries.length} shown)`);
        return 0;
      }
      const messageId = values["message-id"];
      const sender = values.sender;
      if (
        positionals[0] !== "quarantine" ||
        positionals.length !== 1 ||
        (messageId === undefined) === (sender === undefined)
      ) {
        throw new UsageError(
          "expected: sesame mail quarantine (--message-id ID | --sender ADDRESS) [--release] [--reason TEXT] [--dry-run], or sesame mail intake [--json]",
        );
      }
      const dryRun = values["dry-run"] === true;
      const release = values.release === true;
      const target = messageId !== undefined ? { messageId } : { sender: sender ?? "" };
      const options = { actor, dryRun, ...(values.reason !== undefined ? { reason: values.reason } : {}) };
      const result = await withServices(config, (s) =>
        release ? s.reports.release(target, options) : s.reports.quarantine(target, options),
      );
      const copies = (n: number) => `${n} ${n === 1 ? "copy" : "copies"}`;
      const what = messageId !== undefined ? `of ${messageId.trim()}` : `of the messages from ${(sender ?? "").trim()}`;
      const moved = release
        ? `${copies(result.moved)} ${dryRun ? "would be put back" : "put back"} in the inbox, ${copies(result.copies - result.moved)} not in Indésirables`
        : `${copies(result.moved)} ${dryRun ? "would be moved" : "moved"} to Indésirables, ${copies(result.copies - result.moved)} already there`;
      out(
        `${copies(result.copies)} ${what} in ${result.mailboxes} mailbox${result.mailboxes === 1 ? "" : "es"}: ${moved}.`,
      );
      if (result.stillInIntake) {
        out(
          `${result.stillInIntake} message(s) received before the command were still being stored by another instance after ${STORE_BEFORE_TIMEOUT_MS / 1000} s: their copies were not looked at; run the command again in a moment.`,
        );
      }
      if (dryRun) out("Dry run: nothing was moved.");
      return 0;
    }
    case "role": {
      const { values, positionals } = parse(rest, { json: { type: "boolean" } });
      const [sub, username, role] = positionals;
      if (sub === "list" && positionals.length === 1) {
        const holders = await withServices(config, (s) => s.console.listRoles());
        if (values.json === true) out(JSON.stringify(holders, null, 2));
        else if (holders.length === 0) out("No console role is held.");
        else for (const h of holders) out(`${h.username}\t${h.role}\tgranted ${h.grantedAt} by ${h.grantedBy}`);
        return 0;
      }
      if ((sub === "grant" || sub === "revoke") && username && role && positionals.length === 3) {
        const result = await withServices(config, (s) =>
          sub === "grant" ? s.console.grant(username, role, actor) : s.console.revoke(username, role, actor),
        );
        const name = result.account.username;
        if (sub === "grant")
          out(result.changed ? `${name} now holds the role ${role}.` : `${name} already held the role ${role}.`);
        else
          out(result.changed ? `${name} no longer holds the role ${role}.` : `${name} did not hold the role ${role}.`);
        return 0;
      }
      throw new UsageError("expected: sesame role grant|revoke USERNAME ROLE, or sesame role list [--json]");
    }
    case "config": {
      const { positionals } = parse(rest, {});
      if (positionals[0] !== "check" || positionals.length > 1) throw new UsageError("expected: sesame config check");
      const { checkConfiguration } = await import("./operations/config-check.js");
      const report = await checkConfiguration(config);
      out("Effective configuration (secrets masked):");
      const width = Math.max(...report.settings.map((s) => s.key.length));
      for (const { key, value } of report.settings) out(`  ${key.padEnd(width)}  ${value}`);
      out("");
      out("Checks:");
      for (const check of report.checks) out(`  ${check.status.padEnd(4)}  ${check.name}: ${check.detail}`);
      if (report.failed.length > 0) {
        err(`sesame: the configuration does not work: ${report.failed.join(", ")} (see above)`);
        return 1;
      }
      out("");
      out("The configuration works.");
      return 0;
    }
    case "backup":
    case "restore": {
      const { values, positionals } = parse(rest, { force: { type: "boolean" } });
      const [file, ...extra] = positionals;
      if (!file || extra.length > 0 || (command === "backup" && values.force)) {
        throw new UsageError("expected: sesame backup FILE, or sesame restore FILE [--force]");
      }
      const [backup, { secretFile }] = await Promise.all([import("./storage/backup.js"), import("./config/config.js")]);
      const dbFile = backup.sqliteFileOfUrl(config.databaseUrl);
      const secretPath = config.secretFromEnv ? null : secretFile(config.dataDir);
      if (dbFile === null) {
        err(backup.postgresInstructions(command, config.databaseUrl, file, secretPath));
        return 1;
      }
      if (command === "backup") {
        const result = await backup.backupSqlite(dbFile, file, config.secretFromEnv ? null : config.secret);
        out(`Backed up ${dbFile} to ${result.file} (${result.bytes} bytes, consistent as of its start).`);
        out(
          result.withSecret
            ? "The file holds the server's secret: keep it as private as the data folder."
            : "The secret comes from SESAME_SECRET and is not in the file: keep that value with the backup.",
        );
        return 0;
      }
      const result = backup.restoreSqlite(
        file,
        { dbFile, secretFile: secretFile(config.dataDir) },
        {
          force: values.force === true,
        },
      );
      out(`Restored the backup of ${result.createdAt} into ${result.database}.`);
      if (!result.withSecret)
        out("The backup holds no secret: start the service with the SESAME_SECRET it was made with.");
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  const code = await run(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (error) {
  if (error instanceof UsageError) {
    // One line: what is wrong, and where to look.
    err(`sesame: ${error.message} (run "sesame help" for the list of commands)`);
    process.exitCode = 2;
  } else if (error instanceof RedisUnreachableError) {
    err(`sesame: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof ConfigError) {
    err(`sesame: configuration error: ${error.message}`);
    process.exitCode = 2;
  } else if (isListenError(error)) {
    err(
      `sesame: cannot listen on ${error.address}:${error.port}: ${error.code === "EADDRINUSE" ? "the port is already in use (another Sésame, or another program?)" : "permission denied (a port below 1024 needs the capability CAP_NET_BIND_SERVICE)"}`,
    );
    process.exitCode = 2;
  } else if (isDomainError(error)) {
    err(`sesame: ${error.message}`);
    process.exitCode =
      error.code === "NOT_FOUND" || error.code === "CONFLICT" || error.code.startsWith("INVALID") ? 1 : 2;
  } else {
    err(`sesame: unexpected error: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
