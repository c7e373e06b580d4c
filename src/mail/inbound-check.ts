/**
 * What the reception decides about a message from outside, before its 250 (the one place for these
 * rules; the SMTP handler only maps the decision to a reply):
 *
 * - Clients in SESAME_TRUSTED_RELAYS skip the checks (their mail is stored as it came, with the
 *   sender's warnings but no verdict). Loopback is not trusted unless listed.
 * - A message without a From field, or with several: refused (550 5.7.1).
 * - SPF, DKIM, DMARC and ARC (sender-auth.ts). DMARC failing under `p=reject`: refused; under
 *   `p=quarantine`: delivered to Indésirables; otherwise delivered, marked unverified when neither
 *   DMARC nor an aligned DKIM or SPF passed.
 * - Forwarded mail (ARC, RFC 8617): a message whose chain validated and whose latest sealer is in
 *   SESAME_ARC_TRUSTED_SEALERS (subdomains included), with a trusted set that recorded the From
 *   domain as authenticated when the message reached it (`arcVouch`), is neither refused nor put in
 *   Indésirables for DMARC, and counts as verified.
 * - A mailing list's message (List-Id and Sender, a DKIM signature of the list's domain that passed)
 *   whose From domain asks for no strict DMARC (no policy, or p=none) counts as verified: the list
 *   is authenticated, and the author's domain does not ask for more. Never for a protected domain
 *   (SESAME_PROTECTED_DOMAINS), whose name must be authenticated itself.
 * - A From in the académie's own domains (SESAME_MAIL_DOMAIN, SESAME_INTERNAL_DOMAINS, subdomains
 *   included) is refused unless an aligned DKIM signature or SPF passed: nobody outside writes as
 *   the DSI. A verification that could not finish (DNS `temperror`) counts as not passed. A
 *   forwarder's word (ARC) does not stand in for it.
 * - The stored message starts with Sésame's Authentication-Results; an incoming one claiming
 *   Sésame's authserv-id is removed first.
 * - Then, when SESAME_SPAMD_URL is set, SpamAssassin's spamd scores the message as it will be stored
 *   (spam-check.ts): above its threshold it goes to Indésirables, and its score is kept with it.
 *   spamd down or slow: delivered unscored (never refused, never a 4xx).
 */
import { BlockList } from "node:net";
import { parseCidr } from "../config/config.js";
import { isAcademieAddress } from "../directory/academie-domains.js";
import type { Logger } from "../shared/logger.js";
import { countFields, readHeaderBlock } from "./header-block.js";
import type { DeliveryMeta } from "./mail.types.js";
import {
  arcVouch,
  isVerified,
  type SenderContext,
  type SenderVerdict,
  withAuthenticationResults,
  withNote,
} from "./sender-auth.js";
import { createSenderCheckPool, type SenderCheckPool } from "./sender-check-pool.js";
import { DMARC_REJECT_REPLY, FROM_FIELD_REPLY, OWN_DOMAIN_REPLY, type SmtpReply } from "./smtp-replies.js";
import type { SpamCheck } from "./spam-check.js";

export type InboundDecision =
  | { readonly action: "refuse"; readonly reply: SmtpReply; readonly reason: string }
  | {
      readonly action: "deliver";
      /** The message to store (with Sésame's Authentication-Results when it was checked). */
      readonly raw: Buffer;
      readonly inbound: NonNullable<DeliveryMeta["inbound"]>;
      /** Null for a trusted relay. */
      readonly verdict: SenderVerdict | null;
    };

export interface InboundCheckOptions {
  readonly mailDomain: string;
  readonly academieDomains: readonly string[];
  readonly dnsServers: readonly string[];
  readonly trustedRelays: readonly string[];
  /** ARC sealers whose word on a forwarded message is believed (SESAME_ARC_TRUSTED_SEALERS). */
  readonly arcTrustedSealers?: readonly string[];
  /** Domains a mailing list's word does not stand in for (SESAME_PROTECTED_DOMAINS). */
  readonly protectedDomains?: readonly string[];
  readonly logger?: Logger;
  /** All the lookups of one message together (default DNS_BUDGET_MS). */
  readonly budgetMs?: number;
  /** spamd's scoring (spam-check.ts); without it, none. */
  readonly spam?: SpamCheck;
  /**
   * Worker threads for SPF, DKIM, DMARC and ARC (sender-check-pool.ts); 0 or absent: on the calling
   * thread.
   */
  readonly threads?: number;
  /**
   * The workers to check on, shared with the intake's analyses (services.senderChecks; its owner
   * closes it). Without it, a pool of this check's own with `threads` workers.
   */
  readonly checks?: SenderCheckPool;
}

export interface InboundCheck {
  /** Whether the client at `ip` is a trusted relay. */
  trusted(ip: string): boolean;
  decide(raw: Buffer, context: SenderContext): Promise<InboundDecision>;
  /** Stops the worker threads, if any. */
  close(): Promise<void>;
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

export function createInboundCheck(options: InboundCheckOptions): InboundCheck {
  const relays = blockListOf(options.trustedRelays);
  const checks =
    options.checks ??
    createSenderCheckPool({
      authservId: options.mailDomain,
      dnsServers: options.dnsServers,
      threads: options.threads ?? 0,
      warnings: { academieDomains: options.academieDomains, protectedDomains: options.protectedDomains ?? [] },
      ...(options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs }),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  const sealers = (options.arcTrustedSealers ?? []).map((d) => d.toLowerCase());
  const protectedDomains = (options.protectedDomains ?? []).map((d) => d.toLowerCase());
  /** A mailing list's message whose author's domain asks for no strict DMARC. */
  const listVerified = (v: SenderVerdict): boolean =>
    v.listDomain !== null &&
    (v.dmarc === "none" || (v.dmarc === "fail" && v.policy === "none")) &&
    !protectedDomains.some((d) => v.fromDomain === d || v.fromDomain.endsWith(`.${d}`));
  const trusted = (ip: string): boolean => {
    if (options.trustedRelays.length === 0) return false; // the default: nothing to parse the address for
    const address = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
    const family = address.includes(":") ? "ipv6" : "ipv4";
    try {
      return relays.check(address, family);
    } catch {
      return false; // not an address
    }
  };
  return {
    trusted,
    close: () => (options.checks ? Promise.resolve() : checks.close()),
    async decide(raw, context) {
      if (trusted(context.ip)) {
        return { action: "deliver", raw, inbound: { verified: null, placement: "inbox" }, verdict: null };
      }
      const block = readHeaderBlock(raw);
      const froms = countFields(block, "from");
      if (froms !== 1) {
        return { action: "refuse", reply: FROM_FIELD_REPLY, reason: `${froms} From fields` };
      }
      const verdict = await checks.verify(raw, context, block);
      if (
        isAcademieAddress(`x@${verdict.fromDomain}`, options.academieDomains) &&
        !verdict.alignedDkim &&
        !verdict.alignedSpf
      ) {
        return { action: "refuse", reply: OWN_DOMAIN_REPLY, reason: `unauthenticated From ${verdict.fromDomain}` };
      }
      const verified = isVerified(verdict);
      const vouchedBy = verdict.dmarc === "pass" ? null : arcVouch(verdict, sealers);
      if (verdict.dmarc === "fail" && verdict.policy === "reject" && vouchedBy === null) {
        return { action: "refuse", reply: DMARC_REJECT_REPLY, reason: `DMARC reject ${verdict.fromDomain}` };
      }
      const quarantined = verdict.dmarc === "fail" && verdict.policy === "quarantine" && vouchedBy === null;
      const throughList = !verified && vouchedBy === null && listVerified(verdict);
      const header =
        vouchedBy !== null
          ? withNote(verdict.header, `sender authenticated through ARC by the trusted sealer ${vouchedBy}`)
          : throughList
            ? withNote(verdict.header, `sent through the mailing list ${verdict.listDomain}, which signed it`)
            : verdict.header;
      const stored = withAuthenticationResults(raw, options.mailDomain, header, block);
      const messageId = block.fields.find((f) => f.name === "message-id")?.value;
      const spam = options.spam
        ? await options.spam.score(stored, { ip: context.ip, ...(messageId ? { messageId } : {}) })
        : null;
      return {
        action: "deliver",
        raw: stored,
        inbound: {
          verified: verified || vouchedBy !== null || throughList,
          placement: quarantined || spam?.spam === true ? "junk" : "inbox",
          spamScore: spam ? spam.score : null,
        },
        verdict,
      };
    },
  };
}
