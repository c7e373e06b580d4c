/**
 * Sender authentication at reception: SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC
 * (RFC 8617), verified by `mailauth`, over a DNS resolver with a time budget per message.
 *
 * - DNS: Node's resolver, asking the servers of SESAME_DNS_SERVERS (else the system's). Every lookup
 *   of one message shares one budget (5 s): a lookup still unanswered when it runs out fails with
 *   ETIMEOUT, which mailauth turns into `temperror`; the verification as a whole is also raced
 *   against the budget, so a message never waits longer than that for its verdict.
 * - At most MAX_DKIM_SIGNATURES signatures are verified (the first ones, nearest the top): a
 *   message with fifty costs no more than one with ten.
 * - The verdict says what the reception decides (refuse, Indésirables, or deliver) and carries the
 *   `Authentication-Results` field (RFC 8601) written under Sésame's authserv-id.
 */
import { Resolver } from "node:dns/promises";
import { type AuthenticateResult, authenticate, type DNSResolver } from "mailauth";
import { getDomain } from "tldts";
import { countFields, type HeaderBlock, readHeaderBlock, rewriteHeaders } from "./header-block.js";

/** All the DNS lookups of one message together. */
export const DNS_BUDGET_MS = 5_000;
/** Signatures verified per message; the others are left out of the verification. */
export const MAX_DKIM_SIGNATURES = 10;

export type AuthResult = "pass" | "fail" | "softfail" | "neutral" | "none" | "temperror" | "permerror" | "policy";
export type DmarcPolicy = "none" | "quarantine" | "reject";

export interface SenderVerdict {
  readonly spf: AuthResult;
  readonly dkim: AuthResult;
  readonly dmarc: AuthResult;
  readonly arc: AuthResult;
  /** The policy the From domain publishes for this message (sp= for a subdomain), when it has one. */
  readonly policy: DmarcPolicy | null;
  /** A DKIM signature that passed and is aligned with the From domain (relaxed alignment). */
  readonly alignedDkim: boolean;
  /** SPF passed for an envelope domain aligned with the From domain. */
  readonly alignedSpf: boolean;
  /** The From domain (ASCII, lower case), "" when there is none. */
  readonly fromDomain: string;
  /** The field to put at the top of the stored message: `Authentication-Results: <id>; …\r\n`. */
  readonly header: string;
}

/** Whether the message's sender is verified: DMARC passed, or an aligned DKIM or SPF did. */
export function isVerified(v: SenderVerdict): boolean {
  return v.dmarc === "pass" || v.alignedDkim || v.alignedSpf;
}

/** The lookups mailauth makes, answered by Node's resolver within the message's budget. */
type Lookup = (domain: string, rrtype: string) => Promise<unknown>;

function timeoutError(): Error & { code: string } {
  return Object.assign(new Error("DNS time budget exhausted"), { code: "ETIMEOUT" });
}

/**
 * A resolver factory: one Node resolver (servers of SESAME_DNS_SERVERS, else the system's), and per
 * message a lookup function bounded by the remaining budget.
 */
export function dnsLookups(servers: readonly string[]): (budgetMs: number) => Lookup {
  const resolver = new Resolver({ timeout: 1_500, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return (budgetMs) => {
    const deadline = Date.now() + budgetMs;
    return (domain, rrtype) => {
      const left = deadline - Date.now();
      if (left <= 0) return Promise.reject(timeoutError());
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(timeoutError()), left);
      });
      return Promise.race([resolver.resolve(domain, rrtype), timeout]).finally(() => clearTimeout(timer));
    };
  };
}

/** The organizational domain (public suffix + 1) of a domain, or the domain itself when unknown. */
function orgDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: false }) ?? domain;
}

/** Relaxed alignment (RFC 7489 §3.1): the same organizational domain. */
export function aligned(a: string, b: string): boolean {
  if (a === "" || b === "") return false;
  return orgDomain(a.toLowerCase()) === orgDomain(b.toLowerCase());
}

function resultOf(value: string | undefined): AuthResult {
  switch (value) {
    case "pass":
    case "fail":
    case "softfail":
    case "neutral":
    case "none":
    case "permerror":
    case "policy":
      return value;
    case "temperror":
    case "temperr":
      return "temperror";
    default:
      return "none";
  }
}

/** A verification whose lookups ran out of time (or that failed outright). */
function temporaryFailure(authservId: string, fromDomain: string, reason: string): SenderVerdict {
  const comment = reason.replace(/[()\\\r\n]/g, " ").slice(0, 80);
  return {
    spf: "temperror",
    dkim: "temperror",
    dmarc: "temperror",
    arc: "none",
    policy: null,
    alignedDkim: false,
    alignedSpf: false,
    fromDomain,
    header:
      `Authentication-Results: ${authservId};\r\n dkim=temperror (${comment});\r\n spf=temperror;\r\n` +
      ` dmarc=temperror header.from=${fromDomain || "unknown"}\r\n`,
  };
}

/** The message as given to the verifier: only the first MAX_DKIM_SIGNATURES signatures kept. */
function boundedSignatures(raw: Buffer, block: HeaderBlock): Buffer {
  if (countFields(block, "dkim-signature") <= MAX_DKIM_SIGNATURES) return raw;
  let seen = 0;
  return rewriteHeaders(raw, block, "", (f) => f.name === "dkim-signature" && ++seen > MAX_DKIM_SIGNATURES);
}

/** The From domain of a message with one From field ("" otherwise or when unreadable). */
function fromDomainOf(result: AuthenticateResult | null, block: HeaderBlock): string {
  // mailauth gives the From address (or addresses); its domain is what DMARC aligns with.
  const fromHeader = result?.dkim.headerFrom?.[0];
  if (fromHeader) return fromHeader.slice(fromHeader.lastIndexOf("@") + 1).toLowerCase();
  const field = block.fields.find((f) => f.name === "from");
  const match = field?.value.match(/@([^\s>@"]+)\s*>?\s*$/);
  return match?.[1]?.toLowerCase() ?? "";
}

export interface SenderContext {
  /** The client's address. */
  readonly ip: string;
  /** What the client said at EHLO/HELO. */
  readonly helo: string;
  /** The envelope sender (MAIL FROM), "" for a bounce. */
  readonly envelopeFrom: string;
}

export interface SenderAuthOptions {
  /** Sésame's authserv-id (the mail domain). */
  readonly authservId: string;
  readonly lookups: (budgetMs: number) => Lookup;
  readonly budgetMs?: number;
}

/** Verifies the sender of `raw` (the message as received, without Sésame's trace fields). */
export async function verifySender(
  raw: Buffer,
  context: SenderContext,
  options: SenderAuthOptions,
): Promise<SenderVerdict> {
  const budget = options.budgetMs ?? DNS_BUDGET_MS;
  const block = readHeaderBlock(raw);
  const input = boundedSignatures(raw, block);
  const lookup = options.lookups(budget);
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), budget + 250);
  });
  let result: AuthenticateResult | "timeout";
  try {
    result = await Promise.race([
      authenticate(input, {
        ip: context.ip,
        helo: context.helo,
        sender: context.envelopeFrom,
        mta: options.authservId,
        // Node's resolve() answers what mailauth expects (string[][] for TXT, objects for MX); its
        // declared type is narrower than what Node returns.
        resolver: lookup as DNSResolver,
        disableBimi: true,
      }),
      outOfTime,
    ]);
  } catch (error) {
    return temporaryFailure(options.authservId, fromDomainOf(null, block), (error as Error).message ?? "error");
  } finally {
    clearTimeout(timer);
  }
  if (result === "timeout") return temporaryFailure(options.authservId, fromDomainOf(null, block), "time budget");

  const fromDomain = fromDomainOf(result, block);
  const dkimResults = result.dkim.results ?? [];
  const dkim = dkimResults.some((r) => r.status.result === "pass")
    ? "pass"
    : resultOf(dkimResults[0]?.status.result ?? "none");
  const alignedDkim = dkimResults.some((r) => r.status.result === "pass" && aligned(r.signingDomain, fromDomain));
  const spf = result.spf ? resultOf(result.spf.status.result) : "none";
  const alignedSpf = spf === "pass" && result.spf !== false && aligned(result.spf.domain, fromDomain);
  const dmarc = result.dmarc ? resultOf(result.dmarc.status.result) : "none";
  const policyValue = result.dmarc ? result.dmarc.policy : undefined;
  const policy: DmarcPolicy | null =
    policyValue === "reject" || policyValue === "quarantine" || policyValue === "none" ? policyValue : null;
  const arc = result.arc ? resultOf(result.arc.status.result) : "none";
  const header = result.headers
    .split(/\r?\n(?=\S)/)
    .filter((line) => /^Authentication-Results:/i.test(line))
    .map((line) => `${line.trimEnd().replace(/\r?\n/g, "\r\n")}\r\n`)
    .join("");
  return { spf, dkim, dmarc, arc, policy, alignedDkim, alignedSpf, fromDomain, header };
}

/**
 * The message to store: Sésame's `Authentication-Results` first, and every incoming one that
 * claims Sésame's authserv-id removed (RFC 8601 §5: a sender must not write its own verdict).
 */
export function withAuthenticationResults(raw: Buffer, authservId: string, header: string): Buffer {
  const block = readHeaderBlock(raw);
  const id = authservId.toLowerCase();
  return rewriteHeaders(raw, block, header, (f) => {
    if (f.name !== "authentication-results") return false;
    // The authserv-id is the first token, after any comment.
    const first = f.value
      .replace(/\([^)]*\)/g, " ")
      .trim()
      .split(/[\s;]/)[0];
    return (first ?? "").toLowerCase() === id;
  });
}
