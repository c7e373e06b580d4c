/**
 * argon2id hashing (PHC strings) with the configured parameters, behind a gate: at most as many
 * hashes at once as there are cores, a bounded queue behind them, and past the queue an immediate
 * OVERLOADED error (the web answers 503 with Retry-After), so that an attacker cannot pile up
 * hashing work.
 */
import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import type { Argon2Params } from "../config/config.js";
import { randomToken } from "../shared/crypto.js";
import { DomainError } from "../shared/errors.js";

export interface HasherLimits {
  readonly concurrency: number;
  readonly queue: number;
}

export class PasswordHasher {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #dummy: Promise<string> | undefined;
  #refused = 0;
  readonly limits: HasherLimits;

  constructor(
    private readonly params: Argon2Params,
    limits: Partial<HasherLimits> = {},
  ) {
    this.limits = { concurrency: limits.concurrency ?? availableParallelism(), queue: limits.queue ?? 64 };
  }

  async #gate<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limits.concurrency) {
      if (this.#waiting.length >= this.limits.queue) {
        this.#refused++;
        throw new DomainError("OVERLOADED", "too many password checks in progress");
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  /** For the monitoring: checks running, waiting for a core, and refused (OVERLOADED, a 503) since start. */
  get load(): { running: number; waiting: number; refused: number } {
    return { running: this.#running, waiting: this.#waiting.length, refused: this.#refused };
  }

  // Passwords are hashed and checked in Unicode NFC, so that "é" typed as one code point or as
  // "e" + accent is the same password whatever the keyboard or browser.
  hash(password: string): Promise<string> {
    return this.#gate(() =>
      hash(password.normalize("NFC"), {
        algorithm: 2, // Algorithm.Argon2id (an ambient const enum, not importable as a value)
        memoryCost: this.params.memoryCost,
        timeCost: this.params.timeCost,
        parallelism: this.params.parallelism,
      }),
    );
  }

  verify(phc: string, password: string): Promise<boolean> {
    return this.#gate(() => verify(phc, password.normalize("NFC")).catch(() => false));
  }

  /**
   * Spends the same time as a real verification, against a hash of a random secret: used when there
   * is no account, or no hash to check, so that the answer takes as long either way.
   */
  async verifyDummy(password: string): Promise<false> {
    this.#dummy ??= hash(randomToken(16), {
      algorithm: 2,
      memoryCost: this.params.memoryCost,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
    });
    await this.verify(await this.#dummy, password);
    return false;
  }

  /** True when a stored hash was made with other parameters than the configured ones. */
  needsRehash(phc: string): boolean {
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
    if (!m) return true;
    return (
      Number(m[1]) !== this.params.memoryCost ||
      Number(m[2]) !== this.params.timeCost ||
      Number(m[3]) !== this.params.parallelism
    );
  }
}
