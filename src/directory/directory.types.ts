import type { IsoDate } from "./identifiers.js";

export type AccountKind = "academique" | "fonctionnel" | "externe";
export type PasswordState = "initial" | "personal" | "must_change";
export type PersonStatus = "active" | "departed";

/** What HR says about a person (the staff file's columns, NUMEN aside). */
export interface PersonDetails {
  readonly civilite: string;
  readonly nom: string;
  readonly prenom: string;
  readonly birthDate: IsoDate;
  readonly categorie: string;
  readonly uai: string;
}

export interface Person extends PersonDetails {
  readonly id: number;
  readonly status: PersonStatus;
}

export type AccountHolder =
  | {
      readonly type: "person";
      readonly personId: number;
      readonly civilite: string;
      readonly nom: string;
      readonly prenom: string;
      readonly categorie: string;
      readonly uai: string;
      readonly status: PersonStatus;
    }
  | { readonly type: "external"; readonly nom: string; readonly prenom: string };

export interface Account {
  readonly id: number;
  readonly kind: AccountKind;
  readonly username: string;
  readonly address: string;
  readonly holder: AccountHolder;
  readonly establishmentUai: string | null;
  readonly recoveryEmail: string | null;
  readonly recoveryConfirmed: boolean;
  readonly passwordState: PasswordState;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A validated HR row, ready to be written. */
export interface StaffRecord extends PersonDetails {
  readonly numenHash: string;
}

export interface RejectedRow {
  readonly line: number;
  readonly reason: string;
}

export interface ImportReport {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly departed: number;
  readonly rejected: RejectedRow[];
  /** False when nothing was written: a dry run, or too many rejected rows. */
  readonly applied: boolean;
  readonly rows: number;
}

/** An account with what is needed to check a password (the directory service gives it out). */
export interface StoredCredentials {
  readonly account: Account;
  readonly passwordHash: string | null;
  /** The holder's keyed NUMEN hash (null for external accounts). */
  readonly numenHash: string | null;
  readonly birthDate: string | null;
  /** A temporary password's end (helpdesk, 24 h), or null. */
  readonly passwordExpiresAt: string | null;
  /** When the helpdesk marked the account « compromis » (sign-in refused until a new password), or null. */
  readonly compromisedAt: string | null;
}
