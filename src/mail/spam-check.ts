/**
 * Spam scoring of mail from outside by SpamAssassin's spamd (optional: SESAME_SPAMD_URL), asked by
 * the sender checks (inbound-check.ts) for every message they deliver. spamd decides with its own
 * threshold (`required_score`); above it the message goes to Indésirables and its score is kept
 * with it (the `spam_score` of each stored copy) and written in the operators' log.
 *
 * spamd is a help, never a gate: when it is down, slow (past SESAME_SPAMD_TIMEOUT_MS, connection
 * included) or answers garbage, the message is delivered unscored, one warning is logged and the
 * `unavailable` count goes up. A message never waits longer than the timeout, is never refused and
 * never gets a 4xx because of spamd.
 *
 * Messages larger than SPAM_MAX_BYTES are not sent to spamd (counted as `skipped`), as spamc does
 * by default (its `-s`, 500 KB): spam is small, and scoring a 25 MB message takes spamd seconds.
 */
import { createSpamdClient, type SpamdClient, SpamdError, type SpamdVerdict } from "./spamd.js";

/** What spamd found, for a message it scored (above its threshold: the message goes to Indésirables). */
export type SpamScore = SpamdVerdict;

/** Counts since start-up (for the metrics): scored, scored as spam, spamd unavailable, too large. */
export interface SpamCheckStats {
  readonly checked: number;
  readonly spam: number;
  readonly unavailable: number;
  readonly skipped: number;
}

export interface SpamCheck {
  /** Whether a spamd is configured. */
  readonly enabled: boolean;
  /** spamd's score of the message, or null (not configured, too large, spamd unavailable). Never rejects. */
  score(raw: Buffer, context: { readonly ip: string; readonly messageId?: string }): Promise<SpamScore | null>;
  stats(): SpamCheckStats;
}

/** What the spam check writes in the operators' log (a pino Logger, or a test's spy). */
export interface SpamLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

export interface SpamCheckOptions {
  /** Where spamd listens (config.spamd); null: no scoring. */
  readonly spamd: { readonly host: string; readonly port: number; readonly timeoutMs: number } | null;
  readonly logger?: SpamLogger;
  /** Instead of a client made from `spamd` (tests). */
  readonly client?: SpamdClient;
  readonly maxBytes?: number;
}

export const SPAM_MAX_BYTES = 512 * 1024;

export function createSpamCheck(options: SpamCheckOptions): SpamCheck {
  const { spamd, logger } = options;
  const maxBytes = options.maxBytes ?? SPAM_MAX_BYTES;
  const counts = { checked: 0, spam: 0, unavailable: 0, skipped: 0 };
  const client = spamd ? (options.client ?? createSpamdClient(spamd)) : null;
  return {
    enabled: client !== null,
    stats: () => ({ ...counts }),
    async score(raw, context) {
      if (!client) return null;
      const about = { ip: context.ip, ...(context.messageId ? { messageId: context.messageId.slice(0, 200) } : {}) };
      if (raw.length > maxBytes) {
        counts.skipped += 1;
        return null;
      }
      let found: SpamScore;
      try {
        found = await client.check(raw);
      } catch (error) {
        counts.unavailable += 1;
        logger?.warn(
          {
            ...about,
            failure: error instanceof SpamdError ? error.failure : "error",
            reason: error instanceof Error ? error.message : String(error),
            unavailable: counts.unavailable,
          },
          "spamd unavailable: message delivered without a spam score",
        );
        return null;
      }
      counts.checked += 1;
      if (found.spam) {
        counts.spam += 1;
        logger?.info(
          { ...about, score: found.score, threshold: found.threshold, symbols: found.symbols.join(",") },
          "spamd scored the message as spam: it goes to Indésirables",
        );
      }
      return found;
    },
  };
}
