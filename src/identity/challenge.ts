/**
 * ALTCHA proof of work (altcha-lib, self-hosted): demanded at login from a client IP past its failure
 * threshold. Challenges use the deterministic mode of altcha-lib: the server picks the counter the
 * browser has to reach, so the effort is predictable, and signs the derived key, so verifying is one
 * HMAC. A solved challenge is accepted once: its signature is remembered until it expires, in the
 * database or Redis (UsedChallengeStore), so that every instance refuses a replay.
 */
import { type Challenge, createChallenge, randomInt, verifySolution } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import type { Clock } from "../shared/clock.js";
import { keyedHash } from "../shared/crypto.js";
import type { UsedChallengeStore } from "./throttle.repository.js";

export type { Challenge };

const ALGORITHM = "PBKDF2/SHA-256";

export interface ChallengeSettings {
  /** How long a challenge stays valid after it is issued. */
  readonly ttlMs: number;
  /** PBKDF2 iterations per attempt. */
  readonly cost: number;
  /** The counter to reach is drawn in [counterMin, counterMax]; the work is about counter × cost. */
  readonly counterMin: number;
  readonly counterMax: number;
}

/**
 * About 0.5–1 s in a current browser: one PBKDF2-SHA-256 of 5,000 iterations takes ≈1.2 ms in Node
 * here (WebCrypto in a browser is of the same order), and the widget spreads the counters over its
 * workers (one per core). A single Node thread solves these in ≈1–2 s.
 */
export const DEFAULT_CHALLENGE_SETTINGS: ChallengeSettings = {
  ttlMs: 10 * 60_000,
  cost: 5_000,
  counterMin: 800,
  counterMax: 1_600,
};

/** Payloads are a few hundred bytes; anything much larger is not one of ours. */
const MAX_PAYLOAD_LENGTH = 8_192;

export interface ChallengeServiceOptions {
  /** The server secret; the HMAC keys are derived from it. */
  readonly secret: string;
  readonly clock: Clock;
  readonly usedChallenges: UsedChallengeStore;
  readonly settings?: Partial<ChallengeSettings>;
}

interface SubmittedPayload {
  readonly challenge: Challenge;
  readonly solution: { counter: number; derivedKey: string };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The widget posts base64(JSON {challenge, solution}); anything else is refused. */
function parsePayload(payload: string): SubmittedPayload | null {
  if (payload.length === 0 || payload.length > MAX_PAYLOAD_LENGTH) return null;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
  } catch {
    return null;
  }
  if (!isRecord(data) || !isRecord(data.challenge) || !isRecord(data.solution)) return null;
  const { challenge, solution } = data;
  if (!isRecord(challenge.parameters) || typeof challenge.signature !== "string") return null;
  if (typeof solution.counter !== "number" || typeof solution.derivedKey !== "string") return null;
  return data as unknown as SubmittedPayload;
}

export class ChallengeService {
  private readonly settings: ChallengeSettings;
  private readonly signatureKey: string;
  private readonly keySignatureKey: string;

  constructor(private readonly options: ChallengeServiceOptions) {
    this.settings = { ...DEFAULT_CHALLENGE_SETTINGS, ...options.settings };
    const s = this.settings;
    if (!(s.cost >= 1 && s.counterMin >= 1 && s.counterMax >= s.counterMin && s.ttlMs >= 1_000)) {
      throw new RangeError("invalid ALTCHA challenge settings");
    }
    // Two keys of their own, so that the server secret is used for nothing else here.
    this.signatureKey = keyedHash(options.secret, "altcha:challenge-signature");
    this.keySignatureKey = keyedHash(options.secret, "altcha:key-signature");
  }

  /** A fresh signed challenge, to embed in the page as JSON (the widget's `challenge` attribute). */
  async createChallenge(): Promise<Challenge> {
    const s = this.settings;
    return createChallenge({
      algorithm: ALGORITHM,
      cost: s.cost,
      counter: randomInt(s.counterMax, s.counterMin),
      deriveKey,
      expiresAt: new Date(this.options.clock.now().getTime() + s.ttlMs),
      hmacSignatureSecret: this.signatureKey,
      hmacKeySignatureSecret: this.keySignatureKey,
    });
  }

  /**
   * True only for a solution of a challenge we issued, not expired, not tampered with, and not
   * presented before (the first caller wins, across instances).
   */
  async verify(payload: string): Promise<boolean> {
    if (typeof payload !== "string") return false;
    const submitted = parsePayload(payload);
    if (!submitted) return false;
    const { challenge, solution } = submitted;
    const expiresAt = challenge.parameters.expiresAt;
    if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) return false;
    const expiry = new Date(expiresAt * 1_000);
    const now = this.options.clock.now();
    if (expiry.getTime() <= now.getTime()) return false;
    if (challenge.parameters.algorithm !== ALGORITHM) return false;
    let verified: boolean;
    try {
      const result = await verifySolution({
        challenge: { parameters: challenge.parameters, signature: challenge.signature },
        solution: { counter: solution.counter, derivedKey: solution.derivedKey },
        deriveKey,
        hmacSignatureSecret: this.signatureKey,
        hmacKeySignatureSecret: this.keySignatureKey,
      });
      verified = result.verified;
    } catch {
      return false;
    }
    if (!verified || !challenge.signature) return false;
    // Only a verified payload reaches the store, so garbage cannot fill it.
    return this.options.usedChallenges.markUsed(challenge.signature, expiry, now);
  }
}
