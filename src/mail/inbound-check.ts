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
 * - A From in the académie's own domains (SESAME_MAIL_DOMAIN, SESAME_INTERNAL_DOMAINS, subdomains
 *   included) is refused unless an aligned DKIM signature or SPF passed: nobody outside writes as
 *   the DSI. A verification that could not finish (DNS `temperror`) counts as not passed.
 * - The stored message starts with Sésame's Authentication-Results; an incoming one claiming
 *   Sésame's authserv-id is removed first.
 */
import { BlockList } from "node:net";
import { parseCidr } from "../config/config.js";
import { isAcademieAddress } from "../directory/academie-domains.js";
import type { Logger } from "../shared/logger.js";
import { countFields, readHeaderBlock } from "./header-block.js";
import type { DeliveryMeta } from "./mail.types.js";
import {
  dnsLookups,
  isVerified,
  type SenderContext,
  type SenderVerdict,
  verifySender,
  withAuthenticationResults,
} from "./sender-auth.js";
import { DMARC_REJECT_REPLY, FROM_FIELD_REPLY, OWN_DOMAIN_REPLY, type SmtpReply } from "./smtp-replies.js";

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
  readonly logger?: Logger;
  /** All the lookups of one message together (default DNS_BUDGET_MS). */
  readonly budgetMs?: number;
}

export interface InboundCheck {
  /** Whether the client at `ip` is a trusted relay. */
  trusted(ip: string): boolean;
  decide(raw: Buffer, context: SenderContext): Promise<InboundDecision>;
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
  const lookups = dnsLookups(options.dnsServers);
  const trusted = (ip: string): boolean => {
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
    async decide(raw, context) {
      if (trusted(context.ip)) {
        return { action: "deliver", raw, inbound: { verified: null, placement: "inbox" }, verdict: null };
      }
      const froms = countFields(readHeaderBlock(raw), "from");
      if (froms !== 1) {
        return { action: "refuse", reply: FROM_FIELD_REPLY, reason: `${froms} From fields` };
      }
      const verdict = await verifySender(raw, context, {
        authservId: options.mailDomain,
        lookups,
        ...(options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs }),
      });
      if (
        isAcademieAddress(`x@${verdict.fromDomain}`, options.academieDomains) &&
        !verdict.alignedDkim &&
        !verdict.alignedSpf
      ) {
        return { action: "refuse", reply: OWN_DOMAIN_REPLY, reason: `unauthenticated From ${verdict.fromDomain}` };
      }
      if (verdict.dmarc === "fail" && verdict.policy === "reject") {
        return { action: "refuse", reply: DMARC_REJECT_REPLY, reason: `DMARC reject ${verdict.fromDomain}` };
      }
      const placement = verdict.dmarc === "fail" && verdict.policy === "quarantine" ? "junk" : "inbox";
      return {
        action: "deliver",
        raw: withAuthenticationResults(raw, options.mailDomain, verdict.header),
        inbound: { verified: isVerified(verdict), placement },
        verdict,
      };
    },
  };
}
