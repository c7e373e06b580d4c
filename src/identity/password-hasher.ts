/** argon2id hashing (PHC strings) with the configured parameters. */
import { hash, verify } from "@node-rs/argon2";
import type { Argon2Params } from "../config/config.js";

export class PasswordHasher {
  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: 2, // Algorithm.Argon2id (an ambient const enum, not importable as a value)
      memoryCost: this.params.memoryCost,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
    });
  }

  verify(phc: string, password: string): Promise<boolean> {
    return verify(phc, password).catch(() => false);
  }
}
