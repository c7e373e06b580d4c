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
 * - Forwarded mail: for a chain that validated (ARC), each set's sealer (the ARC-Seal's d=) and
 *   whether its ARC-Authentication-Results recorded the From domain as authenticated; for a mailing
 *   list's message (List-Id and Sender), the list's domain when a DKIM signature of it passed. Which
 *   of them the reception believes is decided by `arcVouch` and inbound-check.ts.
 */
import { Resolver } from "node:dns/promises";
import { type AuthenticateResult, authenticate, type DNSResolver } from "mailauth";
import { getDomain } from "tldts";
import { ExpiringMap } from "../shared/expiring-map.js";
import { countFields, type HeaderBlock, readHeaderBlock, rewriteHeaders } from "./header-block.js";

/** All the DNS lookups of one message together. */
export const DNS_BUDGET_MS = 5_000;
/** Signatures verified per message; the others are left out of the verification. */
export const MAX_DKIM_SIGNATURES = 10;

export type AuthResult = "pass" | "fail" | "softfail" | "neutral" | "none" | "temperror" | "permerror" | "policy";
export type DmarcPolicy = "none" | "quarantine" | "reject";

/** One ARC set (RFC 8617) of a chain that validated. */
export interface ArcHop {
  readonly instance: number;
  /** The ARC-Seal's signing domain (d=), lower case. */
  readonly sealer: string;
  /**
   * Its ARC-Authentication-Results recorded the From domain as authenticated when the message reached
   * that sealer: dmarc=pass for it, or a DKIM or SPF pass aligned with it.
   */
  readonly authenticated: boolean;
}

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
  /** The ARC sets, i=1 first, when the chain validated (`arc === "pass"`); empty otherwise. */
  readonly arcChain: readonly ArcHop[];
  /**
   * For a mailing list's message (a List-Id and a Sender field), the list's domain when a DKIM
   * signature that passed is aligned with both the Sender's domain and the List-Id; null otherwise.
   */
  readonly listDomain: string | null;
  /** The field to put at the top of the stored message: `Authentication-Results: <id>; …\r\n`. */
  readonly header: string;
}

/** Whether the message's sender is verified: DMARC passed, or an aligned DKIM or SPF did. */
export function isVerified(v: SenderVerdict): boolean {
  return v.dmarc === "pass" || v.alignedDkim || v.alignedSpf;
}

/** Whether `domain` is one of `list` or a subdomain of one. */
function listed(domain: string, list: readonly string[]): boolean {
  return list.some((d) => domain === d || domain.endsWith(`.${d}`));
}

/**
 * The trusted sealer that vouches for a forwarded message, or null: the ARC chain validated, and
 * among the sets sealed by trusted sealers — going back from the latest, which must be one, as long
 * as each sealer is trusted — one recorded the From domain as authenticated when the message
 * reached it. A set sealed by anyone else is not believed, nor any set before it: an untrusted
 * sealer could write any verdict, which a trusted one after it would only pass on.
 */
export function arcVouch(v: SenderVerdict, trustedSealers: readonly string[]): string | null {
  if (v.arc !== "pass" || trustedSealers.length === 0) return null;
  const latest = v.arcChain[v.arcChain.length - 1];
  for (let k = v.arcChain.length - 1; k >= 0; k--) {
    const hop = v.arcChain[k];
    if (!hop || !listed(hop.sealer, trustedSealers)) return null;
    if (hop.authenticated) return latest?.sealer ?? null;
  }
  return null;
}

/**
 * The field with a comment added at its end (RFC 8601 allows one after any result): how the
 * reception decided beyond what the results themselves say.
 */
export function withNote(header: string, note: string): string {
  const comment = note.replace(/[()\\\r\n]/g, " ");
  return header.replace(/\r\n$/, `\r\n (${comment})\r\n`);
}

/** The lookups mailauth makes, answered by Node's resolver within the message's budget. */
type Lookup = (domain: string, rrtype: string) => Promise<unknown>;

function timeoutError(): Error & { code: string } {
  return Object.assign(new Error("DNS time budget exhausted"), { code: "ETIMEOUT" });
}

/** How long an answer is kept (Node's resolver does not give the TTL of a TXT record: a cap instead). */
export const DNS_CACHE_MS = 60_000;
/** How many answers are kept (the oldest go first). */
export const DNS_CACHE_MAX = 10_000;
/** Answers that say the name or the record does not exist: kept like an answer (RFC 2308). */
const DEFINITE_ERRORS = new Set(["ENOTFOUND", "ENODATA"]);

/**
 * A resolver factory: one Node resolver (servers of SESAME_DNS_SERVERS, else the system's), and per
 * message a lookup function bounded by the remaining budget. Answers, and definite "no such name"
 * or "no such record" answers, are kept DNS_CACHE_MS (bounded by DNS_CACHE_MAX entries): mail from
 * one sender comes in bursts, and each message asks the same SPF, DKIM key and DMARC records. A
 * failure that may pass (time-out, server failure) is never kept. Lookups of the same question
 * under way at once share one query.
 */
export function dnsLookups(
  servers: readonly string[],
  options: { now?: () => number; cacheMs?: number; maxEntries?: number } = {},
): (budgetMs: number) => Lookup {
  const resolver = new Resolver({ timeout: 1_500, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  const cache = new ExpiringMap<string, Promise<unknown>>({
    ttlMs: options.cacheMs ?? DNS_CACHE_MS,
    max: options.maxEntries ?? DNS_CACHE_MAX,
    ...(options.now ? { now: options.now } : {}),
  });
  const ask = (domain: string, rrtype: string): Promise<unknown> => {
    const key = `${rrtype} ${domain.toLowerCase()}`;
    const kept = cache.get(key);
    // Each lookup gets its own copy: what one verification does with an answer is not seen by the next.
    if (kept) return kept.then(structuredClone);
    const answer = resolver.resolve(domain, rrtype);
    cache.set(key, answer); // shared by the lookups made while it is under way
    answer.catch((error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === "string" && DEFINITE_ERRORS.has(code)) return;
      if (cache.get(key) === answer) cache.delete(key);
    });
    return answer.then(structuredClone);
  };
  return (budgetMs) => {
    const deadline = Date.now() + budgetMs;
    return (domain, rrtype) => {
      const left = deadline - Date.now();
      if (left <= 0) return Promise.reject(timeoutError());
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(timeoutError()), left);
      });
      return Promise.race([ask(domain, rrtype), timeout]).finally(() => clearTimeout(timer));
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
    arcChain: [],
    listDomain: null,
    header:
      `Authentication-Results: ${authservId};\r\n dkim=temperror (${comment});\r\n spf=temperror;\r\n` +
      ` dmarc=temperror header.from=${fromDomain || "unknown"}\r\n`,
  };
}

/** The verdict on a message whose verification ran out of time. */
export function outOfTimeVerdict(authservId: string, block: HeaderBlock): SenderVerdict {
  return temporaryFailure(authservId, fromDomainOf(null, block), "time budget");
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

/** A domain out of an address or a bare domain (`marie@partner.example`, `@partner.example`). */
function domainPart(value: unknown): string {
  if (typeof value !== "string") return "";
  return value
    .slice(value.lastIndexOf("@") + 1)
    .replace(/[<>\s]/g, "")
    .toLowerCase();
}

/** A result of an ARC-Authentication-Results, as mailauth parsed it (`value`, or `result` once reshaped). */
type AarEntry = { value?: unknown; result?: unknown; header?: Record<string, unknown>; smtp?: Record<string, unknown> };
type ParsedAar = { dkim?: AarEntry[]; spf?: AarEntry; dmarc?: AarEntry };

function passed(entry: AarEntry | undefined): boolean {
  return String(entry?.result ?? entry?.value ?? "").toLowerCase() === "pass";
}

/** Whether a recorded verdict says the From domain was authenticated (DMARC, or aligned DKIM or SPF). */
function recordedAuthenticated(aar: ParsedAar | undefined, fromDomain: string): boolean {
  if (!aar || fromDomain === "") return false;
  if (passed(aar.dmarc) && aligned(domainPart(aar.dmarc?.header?.from), fromDomain)) return true;
  const dkims = Array.isArray(aar.dkim) ? aar.dkim : [];
  if (dkims.some((d) => passed(d) && aligned(domainPart(d.header?.d ?? d.header?.i), fromDomain))) return true;
  return passed(aar.spf) && aligned(domainPart(aar.spf?.smtp?.mailfrom), fromDomain);
}

/**
 * The ARC sets of a chain that validated. mailauth keeps the chain as a hidden property of its
 * result, each set parsed; it reshapes the latest set's ARC-Authentication-Results into
 * `authenticationResults` (results under `result`), the others keep theirs under `value`.
 */
function arcChainOf(result: AuthenticateResult, fromDomain: string): ArcHop[] {
  const arc = result.arc || null;
  if (arc?.status.result !== "pass") return [];
  const chain = (arc.chain ?? []) as unknown as {
    i: number;
    "arc-seal"?: { parsed?: { d?: { value?: unknown } } };
    "arc-authentication-results"?: { parsed?: ParsedAar };
  }[];
  return chain.map((entry, index) => ({
    instance: entry.i,
    sealer: String(entry["arc-seal"]?.parsed?.d?.value ?? "").toLowerCase(),
    authenticated: recordedAuthenticated(
      index === chain.length - 1
        ? ((arc.authenticationResults as ParsedAar | undefined) ?? entry["arc-authentication-results"]?.parsed)
        : entry["arc-authentication-results"]?.parsed,
      fromDomain,
    ),
  }));
}

/**
 * The list's domain of a mailing list's message signed by its list: a List-Id (RFC 2919) and a
 * Sender field, and a DKIM signature that passed aligned with both. Null otherwise.
 */
function listDomainOf(block: HeaderBlock, signers: readonly string[]): string | null {
  const listId = block.fields.find((f) => f.name === "list-id")?.value ?? "";
  const sender = block.fields.find((f) => f.name === "sender")?.value ?? "";
  // List-Id: `Name <list.lists.example>`: the identifier is a dotted name under the list's domain.
  const id = /<([^<>\s]+)>\s*$/.exec(listId)?.[1]?.toLowerCase() ?? "";
  const senderDomain = /@([^\s<>@"]+?)\s*>?\s*$/.exec(sender)?.[1]?.toLowerCase() ?? "";
  if (id === "" || senderDomain === "") return null;
  const signer = signers.find((d) => aligned(d, senderDomain) && aligned(d, id));
  return signer === undefined ? null : orgDomain(signer);
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
  block: HeaderBlock = readHeaderBlock(raw),
): Promise<SenderVerdict> {
  const budget = options.budgetMs ?? DNS_BUDGET_MS;
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
  if (result === "timeout") return outOfTimeVerdict(options.authservId, block);

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
  const arcChain = arcChainOf(result, fromDomain);
  const listDomain = listDomainOf(
    block,
    dkimResults.filter((r) => r.status.result === "pass").map((r) => r.signingDomain.toLowerCase()),
  );
  const header = result.headers
    .split(/\r?\n(?=\S)/)
    .filter((line) => /^Authentication-Results:/i.test(line))
    .map((line) => `${line.trimEnd().replace(/\r?\n/g, "\r\n")}\r\n`)
    .join("");
  return { spf, dkim, dmarc, arc, policy, alignedDkim, alignedSpf, fromDomain, arcChain, listDomain, header };
}

/**
 * The message to store: Sésame's `Authentication-Results` first, and every incoming one that
 * claims Sésame's authserv-id removed (RFC 8601 §5: a sender must not write its own verdict).
 */
export function withAuthenticationResults(
  raw: Buffer,
  authservId: string,
  header: string,
  block: HeaderBlock = readHeaderBlock(raw),
): Buffer {
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
