/**
 * What the helpdesk (console `assistance`) sees of a person: who they are, where, their accounts
 * with their states, the last sign-ins per door, the open sessions and the throttles. Never a NUMEN,
 * a birth date, nor anything of their mail (no content, folder or subject).
 */

import type { PersonStatus } from "../directory/directory.types.js";
import type { AccountState } from "../directory/people-search.js";
import type { SessionKind } from "../identity/session-store.js";

/** Where a sign-in was tried (its audit actor). */
export type Door = "webmail" | "imap" | "submission" | "assistance" | "console";

export interface SignInEvent {
  readonly at: string;
  readonly door: Door;
  readonly outcome: "success" | "must_change" | "failure" | "throttled";
  readonly ip: string | null;
}

export interface CardSession {
  readonly kind: SessionKind;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly ip: string;
}

/** A throttle in force, and when it ends. */
export interface ThrottleInForce {
  readonly until: string;
  readonly reason: "backoff" | "daily_limit";
}

export interface CardAccount {
  readonly id: number;
  readonly username: string;
  readonly address: string;
  readonly kind: "academique" | "fonctionnel" | "externe";
  readonly state: AccountState;
  /** A recovery address: whether one is set and confirmed, shown masked (`a••••@exemple.org`). */
  readonly recovery: { readonly masked: string; readonly confirmed: boolean } | null;
  /** A temporary password's end, while one is in force. */
  readonly temporaryUntil: string | null;
  /** When the account was marked « compromis » (sign-in refused until a new password). */
  readonly compromisedAt: string | null;
  readonly signIns: readonly SignInEvent[];
  readonly sessions: readonly CardSession[];
  readonly throttle: ThrottleInForce | null;
}

export interface PersonCard {
  readonly personId: number;
  readonly civilite: string;
  readonly prenom: string;
  readonly nom: string;
  readonly categorie: string;
  readonly status: PersonStatus;
  readonly establishment: { readonly uai: string; readonly libelle: string | null };
  /** Academic and functional accounts held, oldest first. */
  readonly accounts: readonly CardAccount[];
  /** The Assistance's NUMEN throttle (NUMEN + birth date failures), when in force. */
  readonly numenThrottle: ThrottleInForce | null;
}

/** Who acts in the console: the audit actor (`console:<username>`) and the agent's account. */
export interface Agent {
  readonly actor: string;
  readonly accountId: number;
  readonly ip: string;
}

/** The throttles an agent may lift: an account's sign-in throttle, or the person's NUMEN one. */
export type ThrottleTarget = { readonly kind: "account"; readonly accountId: number } | { readonly kind: "numen" };

/** A temporary password, shown once to the agent, to read on the phone. */
export interface TemporaryPassword {
  readonly password: string;
  readonly until: string;
  readonly username: string;
}
