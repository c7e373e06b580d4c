/**
 * Wires the domain services together over one database. The web server, the SMTP server and the
 * CLI all start from here, so that they share the same rules.
 */
import { AuditService } from "./audit/audit.service.js";
import { AuditRetention } from "./audit/audit-retention.js";
import { type Config, secretFile } from "./config/config.js";
import { ConsoleService } from "./console/console.service.js";
import { HelpdeskService } from "./console/helpdesk.service.js";
import { SecurityService } from "./console/security.service.js";
import { ConsoleStatsService } from "./console/stats.service.js";
import { DemoService } from "./demo/demo.service.js";
import { academieDomains } from "./directory/academie-domains.js";
import { DirectoryService } from "./directory/directory.service.js";
import { StaffImportService } from "./directory/staff-import.service.js";
import { SPECIAL_FOLDER_NAMES } from "./i18n/folders.fr.js";
import { compromisedNotice, temporaryPasswordNotice } from "./i18n/helpdesk-messages.fr.js";
import {
  passwordChangedMessage,
  recoveryEmailChangedMessage,
  resetLinkMessage,
  settingsChangedMessage,
  verificationCodeMessage,
} from "./i18n/messages.fr.js";
import { ChallengeService } from "./identity/challenge.js";
import { createLimits } from "./identity/limits.service.js";
import { LoginService } from "./identity/login.service.js";
import { PasswordService } from "./identity/password.service.js";
import { PasswordHasher } from "./identity/password-hasher.js";
import { PasswordPolicy } from "./identity/password-policy.js";
import { createSessionStore, SessionService } from "./identity/session.service.js";
import { ContactsService } from "./mail/contacts.service.js";
import { HarvestGuard } from "./mail/harvest-guard.js";
import { MailIntake } from "./mail/intake.js";
import { MailService } from "./mail/mail.service.js";
import { createMailEvents } from "./mail/mail-events.js";
import { MailboxAccess } from "./mail/mailbox-access.service.js";
import { OutboundService } from "./mail/outbound.service.js";
import { OutboundQueue } from "./mail/outbound-queue.js";
import { ReportService } from "./mail/report.service.js";
import { SendService } from "./mail/send.service.js";
import { createSenderCheckPool, defaultCheckThreads, type SenderCheckPool } from "./mail/sender-check-pool.js";
import { MailSettingsService } from "./mail/settings.service.js";
import { createSpamCheck, type SpamCheck } from "./mail/spam-check.js";
import { type RecoveryMessages, RecoveryService } from "./recovery/recovery.service.js";
import { type Clock, systemClock } from "./shared/clock.js";
import { createLogger } from "./shared/logger.js";
import { tightenPrivatePaths } from "./shared/private-files.js";
import { closeRedis, openRedis, pingRedis, type Redis } from "./shared/redis.js";
import { createChangeBus } from "./storage/change-bus.js";
import { type Database, type DatabaseOptions, openDatabase, ping, sqliteFilesOf } from "./storage/database.js";
import { migrateToLatest } from "./storage/migrate.js";

/** Days the UIDs that left a folder are remembered for QRESYNC clients. */
const VANISHED_KEPT_DAYS = 30;

/** The console's sessions end after 15 minutes without a request, and after 8 hours in any case. */
const CONSOLE_IDLE_MS = 15 * 60_000;
const CONSOLE_MAX_MS = 8 * 3_600_000;

export interface Services {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly audit: AuditService;
  /** The audit trail's retention purge (SESAME_AUDIT_RETENTION_DAYS): daily here, `sesame audit purge`. */
  readonly auditRetention: AuditRetention;
  readonly directory: DirectoryService;
  readonly staffImport: StaffImportService;
  readonly demo: DemoService;
  readonly hasher: PasswordHasher;
  readonly redis: Redis | null;
  readonly sessions: SessionService;
  /** The console's sessions: the same store, 15 minutes idle (issue 16). */
  readonly consoleSessions: SessionService;
  /** The console's roles and second factor. */
  readonly console: ConsoleService;
  /** The helpdesk's person card and actions (console `assistance`). */
  readonly helpdesk: HelpdeskService;
  readonly challenge: ChallengeService;
  readonly login: LoginService;
  readonly passwords: PasswordService;
  /** Outbound messages (an OutboundMailer): the SMTP relay when configured, else the local outbox. */
  readonly outbound: OutboundService;
  readonly recovery: RecoveryService;
  /** The mail store: reception, folders, reading, search. */
  readonly mail: MailService;
  /** The mail store as IMAP sessions see it (UIDs, MODSEQs, changes heard from every instance). */
  readonly mailbox: MailboxAccess;
  /** The personal address book and the address suggestions. */
  readonly contacts: ContactsService;
  /** Writing and sending mail (compose page, SMTP submission). */
  readonly send: SendService;
  /** External recipients waiting for the SMTP relay (the worker is started by `startServer`). */
  readonly outboundQueue: OutboundQueue;
  /**
   * The SMTP reception's way in: stores at once, or takes a message of a burst into the intake
   * to store just after (started by `startServer`; intake.ts).
   */
  readonly intake: MailIntake;
  /**
   * Worker threads for the SMTP reception's sender checks (SPF, DKIM, DMARC, ARC) and the intake's
   * analyses of the messages it stores (started at the first message; sender-check-pool.ts).
   */
  readonly senderChecks: SenderCheckPool;
  /** Signature, away message and forwarding (applied by the mail store at each local delivery). */
  readonly settings: MailSettingsService;
  /** Unknown recipients per SMTP client (address harvesting): in Redis when configured, else in memory. */
  readonly harvest: HarvestGuard;
  /** « Signaler un filoutage », « pas indésirable », and the security team's reports and quarantine. */
  readonly reports: ReportService;
  /** The security team's console (`securite`): the reports, one report's message, the quarantine. */
  readonly security: SecurityService;
  /** spamd's scoring at reception (SESAME_SPAMD_URL; does nothing without it), with its counts. */
  readonly spam: SpamCheck;
  /** The administration dashboard's figures; the SMTP reception's counters (a StatsRecorder). */
  readonly consoleStats: ConsoleStatsService;
  /**
   * Forgets what has expired from the database: sessions, throttling counters, used challenges, and
   * outbound deliveries that ended more than SESAME_OUTBOUND_RETENTION_DAYS ago.
   */
  purgeExpired(): Promise<void>;
  /** Throws when the database does not answer (the web's /healthz). */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

/** The recovery messages' French texts (src/mail/outbound.ts) fitted to the recovery service. */
function recoveryMessages(config: Config): RecoveryMessages {
  const only = (m: { subject: string; text: string }) => ({ subject: m.subject, text: m.text });
  return {
    passwordChanged: (p) =>
      only(
        passwordChangedMessage(config, {
          to: "",
          username: p.username,
          address: p.address,
          at: p.when,
          via: p.via,
          ip: p.ip,
          forwardingOff: p.forwardingOff,
        }),
      ),
    recoveryEmailChanged: (p) =>
      recoveryEmailChangedMessage(config, {
        username: p.username,
        address: p.address,
        previous: p.previous,
        next: p.next,
        at: p.when,
        ip: p.ip || null,
        cancelLink: p.cancelLink,
        graceDays: p.graceDays,
      }),
    resetLink: (p) =>
      only(
        resetLinkMessage(config, {
          to: "",
          username: p.username,
          link: p.link,
          validMinutes: p.minutes,
          at: p.when,
          ip: p.ip,
        }),
      ),
    code: (p) =>
      only(
        verificationCodeMessage(config, {
          to: "",
          username: p.username,
          code: p.code,
          purpose: p.purpose === "recovery_signin" ? "second-factor" : "recovery-address",
          validMinutes: p.minutes,
          maxAttempts: p.attempts,
        }),
      ),
  };
}

export interface ServicesOptions {
  readonly clock?: Clock;
  readonly database?: DatabaseOptions;
  /** Run pending migrations first (default true). */
  readonly migrate?: boolean;
  /** Redis key prefix (tests give each run its own). */
  readonly redisPrefix?: string;
  /** Cheaper proof-of-work in tests. */
  readonly challengeSettings?: Partial<import("./identity/challenge.js").ChallengeSettings>;
}

export async function openServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  // The data folder, the secret and the database are the service's user's only (0700 / 0600): what
  // an older version or a wide umask left readable by others is narrowed here, and said.
  const privateFiles = [secretFile(config.dataDir), ...sqliteFilesOf(config.databaseUrl)];
  const logger = createLogger(config.logLevel);
  for (const change of tightenPrivatePaths(config.dataDir, privateFiles)) {
    logger.info({ ...change }, "narrowed the permissions of a private file or folder");
  }
  const database = openDatabase(config.databaseUrl, options.database);
  try {
    if (options.migrate !== false) await migrateToLatest(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  const clock = options.clock ?? systemClock;
  const db = database.db;
  const audit = new AuditService(db, clock);
  const auditRetention = new AuditRetention({
    db,
    dialect: database.dialect,
    clock,
    audit,
    retentionDays: config.auditRetentionDays,
  });
  const base = { db, secret: config.secret, mailDomain: config.mailDomain, clock, audit };
  const directory = new DirectoryService({ ...base, dialect: database.dialect });
  const staffImport = new StaffImportService({ ...base, dialect: database.dialect });
  const hasher = new PasswordHasher(config.argon2, { queue: config.hashQueue });
  // The demo fills the mailboxes through the SMTP reception, which needs the mail service below.
  let mailRef: MailService | undefined;
  const demo = new DemoService(directory, staffImport, hasher, async (people) => {
    const { fillDemoMailboxes } = await import("./demo/demo-mailbox.js");
    if (mailRef) await fillDemoMailboxes({ mail: mailRef, config, clock }, people);
  });

  // Shared state for several instances: Redis when configured, else the database.
  const redis = config.redisUrl ? openRedis(config.redisUrl, { connectionName: "sesame" }) : null;
  if (redis && config.redisUrl) {
    try {
      await pingRedis(redis, config.redisUrl);
    } catch (error) {
      await closeRedis(redis);
      await database.close();
      throw error;
    }
  }
  const redisPrefix = options.redisPrefix ?? "sesame:";
  // Every throttle and rate limit (identity/limits.ts), over the stores chosen here once.
  const limits = createLimits({ db, redis, redisPrefix, clock, settings: config });
  const timeouts = { idleMs: config.sessionIdleMinutes * 60_000, absoluteMs: config.sessionMaxHours * 3_600_000 };
  const sessions = new SessionService(
    createSessionStore({ db, redis, idleMs: timeouts.idleMs, redisPrefix }),
    clock,
    timeouts,
    (accountId) => directory.isAccountUsable(accountId),
  );
  // The console: 15 minutes idle, 8 hours at most, in the same store (its own cookie).
  const consoleTimeouts = { idleMs: CONSOLE_IDLE_MS, absoluteMs: CONSOLE_MAX_MS };
  const consoleSessions = new SessionService(
    createSessionStore({ db, redis, idleMs: consoleTimeouts.idleMs, redisPrefix }),
    clock,
    consoleTimeouts,
    (accountId) => directory.isAccountUsable(accountId),
  );
  const challenge = new ChallengeService({
    secret: config.secret,
    clock,
    usedChallenges: limits.usedChallenges,
    ...(options.challengeSettings ? { settings: options.challengeSettings } : {}),
  });
  const login = new LoginService({
    directory,
    hasher,
    sessions,
    accountThrottle: limits.backoff("login-account"),
    ipFailures: limits.windowCount("login-ip"),
    challenge,
    audit,
    clock,
  });
  const policy = new PasswordPolicy({ minLength: config.passwordMinLength, maxLength: config.passwordMaxLength });
  // Every password change is notified and cancels reset links: the recovery module does it, and is
  // built below (it needs the password service), hence the late binding.
  let recoveryRef: RecoveryService | undefined;
  let settingsRef: MailSettingsService | undefined;
  const passwords = new PasswordService({
    directory,
    hasher,
    policy,
    sessions,
    onChanged: async (change) => {
      // A recovery or a change marked « compte compromis »: forwarding off before the notice says so.
      const forwardingOff =
        change.turnOffForwarding && settingsRef
          ? await settingsRef.turnOffForwarding(change.accountId, change.actor, change.ip)
          : null;
      await recoveryRef?.passwordChanged(change.accountId, change.ip, change.via, forwardingOff);
      return { forwardingOff };
    },
  });
  const outbound = new OutboundService({
    db,
    clock,
    mailDomain: config.mailDomain,
    academieName: config.academieName,
    relayUrl: config.smtpRelayUrl,
    logger,
  });
  const recovery = new RecoveryService({
    directory,
    sessions,
    passwords,
    numenThrottle: limits.backoff("recovery-numen"),
    ipFailures: limits.windowCount("recovery-ip"),
    resetSends: limits.windowCount("reset-links"),
    challenge,
    reauth: login,
    mailer: outbound,
    messages: recoveryMessages(config),
    logger,
    audit,
    clock,
    secret: config.secret,
    publicUrl: config.publicUrl,
    db,
    requireCode: config.recoveryRequireCode,
  });
  recoveryRef = recovery;
  // "This account's mail changed", heard by IMAP sessions in every instance (Redis or PostgreSQL).
  const bus = createChangeBus({
    channel: `sesame_mail_${(database.schema ?? "public").replace(/[^a-z0-9_]/gi, "_")}`.slice(0, 60),
    redisUrl: config.redisUrl,
    postgresUrl: database.dialect === "postgres" ? config.databaseUrl : null,
    onError: (error) => logger.warn({ err: error }, "the change channel between instances failed"),
  });
  const events = createMailEvents(bus);
  const mailbox = (mail: MailService) =>
    new MailboxAccess({
      db,
      dialect: database.dialect,
      mail,
      events,
      quotaBytes: config.mailQuotaBytes,
      maxMessageBytes: config.mailMaxBytes,
    });
  const mail = new MailService({
    events,
    db,
    dialect: database.dialect,
    directory,
    clock,
    mailDomain: config.mailDomain,
    internalDomains: config.internalDomains,
    maxMessageBytes: config.mailMaxBytes,
    quotaBytes: config.mailQuotaBytes,
    folderNames: SPECIAL_FOLDER_NAMES,
    protectedDomains: config.protectedDomains,
  });
  mailRef = mail;
  const imapView = mailbox(mail);
  outbound.useLocalStore({
    deliver: async (address, raw, envelopeFrom) => {
      const recipient = await mail.checkRecipient(address, raw.length);
      await mail.deliver(raw, [recipient], { envelopeFrom, rules: false });
    },
  });
  const outboundQueue = new OutboundQueue({
    db,
    dialect: database.dialect,
    clock,
    mail,
    mailDomain: config.mailDomain,
    relayUrl: config.smtpRelayUrl,
  });
  const senderChecks = createSenderCheckPool({
    authservId: config.mailDomain,
    dnsServers: config.dnsServers,
    threads: defaultCheckThreads(),
    warnings: {
      academieDomains: academieDomains(config.mailDomain, config.internalDomains),
      protectedDomains: config.protectedDomains,
    },
    logger: logger.child({ component: "smtp" }),
  });
  const intake = new MailIntake({
    db,
    dialect: database.dialect,
    clock,
    mail,
    analyse: (raw, inbound) => senderChecks.analyse(raw, inbound),
    logger: logger.child({ component: "smtp" }),
  });
  const send = new SendService({
    mail,
    directory,
    queue: outboundQueue,
    audit,
    clock,
    sends: limits.windowCount("sends"),
    mailDomain: config.mailDomain,
    maxMessageBytes: config.mailMaxBytes,
    dkim: config.dkim,
  });
  const settings = new MailSettingsService({
    db,
    clock,
    directory,
    mail,
    queue: outboundQueue,
    mailDomain: config.mailDomain,
    academieDomains: academieDomains(config.mailDomain, config.internalDomains),
    allowExternalForwardWithoutCopy: config.allowExternalForwardWithoutCopy,
    reauth: login,
    audit,
    notify: async (change) => {
      const account = await directory.getAccountById(change.accountId);
      await recovery.notifyHolder(
        account,
        settingsChangedMessage(config, {
          username: account.username,
          address: account.address,
          at: change.at,
          ip: change.ip,
          forward: change.forward,
          away: change.away,
        }),
      );
    },
    logger,
  });
  settingsRef = settings;
  mail.useRules(settings);
  const reports = new ReportService({
    db,
    mail,
    mailer: outbound,
    directory,
    audit,
    clock,
    abuseAddress: config.abuseAddress,
    intake,
  });
  const consoleStats = new ConsoleStatsService({
    db,
    dialect: database.dialect,
    clock,
    logger,
    queueDepth: async () => {
      const counts = await outboundQueue.counts();
      return counts.queued + counts.sending;
    },
  });
  return {
    config,
    database,
    clock,
    audit,
    directory,
    staffImport,
    demo,
    hasher,
    redis,
    sessions,
    consoleSessions,
    console: new ConsoleService({
      db,
      audit,
      clock,
      secret: config.secret,
      issuer: `Sésame (${config.academieName})`,
      login,
      directory,
      sessions: consoleSessions,
      throttle: limits.backoff("console-second-factor"),
      publicUrl: config.publicUrl,
    }),
    helpdesk: new HelpdeskService({
      db,
      audit,
      clock,
      directory,
      hasher,
      sessions,
      loginThrottle: limits.backoff("login-account"),
      numenThrottle: limits.backoff("recovery-numen"),
      verifyThrottle: limits.windowCount("helpdesk-verify"),
      recovery,
      messages: {
        temporaryPassword: (p) => temporaryPasswordNotice(config, p),
        compromised: (p) => compromisedNotice(config, p),
      },
    }),
    challenge,
    login,
    passwords,
    outbound,
    recovery,
    mail,
    mailbox: imapView,
    contacts: new ContactsService({
      db,
      clock,
      directory,
      // Per instance in memory without Redis; shared by the instances with it.
      suggestionLimiter: limits.rate("suggest"),
      audit,
    }),
    send,
    outboundQueue,
    intake,
    senderChecks,
    settings,
    harvest: new HarvestGuard({ limiter: limits.rate("smtp-harvest"), audit }),
    reports,
    security: new SecurityService({ reports, audit }),
    spam: createSpamCheck({ spamd: config.spamd, logger: logger.child({ component: "smtp" }) }),
    consoleStats,
    auditRetention,
    purgeExpired: async () => {
      const now = clock.now();
      await sessions.purgeExpired();
      await limits.purgeExpired(now);
      await outboundQueue.purgeDone(config.outboundRetentionDays);
      // What left IMAP folders more than 30 days ago (a client away longer resynchronises by difference).
      await imapView.pruneVanished(VANISHED_KEPT_DAYS);
      // Reset requests an instance left when it stopped.
      await recovery.processResetRequests();
      // The dashboard: the audit hours that closed rolled up, the outbound queue's depth sampled.
      await consoleStats.maintain();
      // The audit events older than SESAME_AUDIT_RETENTION_DAYS, once a day.
      await auditRetention.purgeIfDue();
    },
    checkHealth: () => ping(database),
    close: async () => {
      await recovery.stop();
      await intake.stop();
      await senderChecks.close();
      await outboundQueue.close();
      await outbound.close();
      await bus.close();
      if (redis) await closeRedis(redis);
      // The last counts of the dashboard written (the SMTP reception stops before this).
      await consoleStats.settled();
      await database.close();
    },
  };
}
