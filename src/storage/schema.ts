/**
 * Table shapes as Kysely sees them. Rows stay inside repositories: services get domain objects.
 * Conventions, identical on SQLite and PostgreSQL: timestamps are ISO-8601 UTC text, dates are
 * `YYYY-MM-DD` text, booleans are integers 0/1.
 */
import type { Generated } from "kysely";

export interface PersonTable {
  id: Generated<number>;
  numen_hash: string;
  civilite: string;
  nom: string;
  prenom: string;
  /** Folded « nom / prénoms » for the person search's order (migration 016; storage/search-text.ts). */
  search_name: string;
  birth_date: string;
  categorie: string;
  uai: string;
  status: "active" | "departed";
  created_at: string;
  updated_at: string;
}

/** One folded word of a person's names (migration 016): the person search's exact and prefix matches. */
export interface PersonSearchTermTable {
  term: string;
  person_id: number;
  /** 1: a term of the nom, 0: of the prénoms. */
  in_nom: number;
}

/** Each search term once, with a trigram index for misspelt names (migration 016). */
export interface PersonSearchWordTable {
  term: string;
}

export interface EstablishmentTable {
  uai: string;
  libelle: string;
  head_person_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface AccountTable {
  id: Generated<number>;
  kind: "academique" | "fonctionnel" | "externe";
  username: string;
  address: string;
  person_id: number | null;
  establishment_uai: string | null;
  external_nom: string | null;
  external_prenom: string | null;
  recovery_email: string | null;
  recovery_confirmed: number;
  password_state: "initial" | "personal" | "must_change";
  password_hash: string | null;
  disabled: number;
  /** Why the account is disabled: `departed` (HR import, undone when the person returns) or `admin`. */
  disabled_reason: "departed" | "admin" | null;
  /** A temporary password's end (set by the helpdesk, 24 h); null for any other password. */
  password_expires_at: string | null;
  /** « Compte compromis »: sign-in refused at every door until a new password is set. */
  compromised_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  details: string;
}

export interface SessionTable {
  /** SHA-256 of the session token (the token itself is only in the cookie). */
  id_hash: string;
  account_id: number;
  /** `webmail`, `password_change` (forced change before anything else), `recovery`, `account`. */
  kind: string;
  created_at: string;
  last_seen_at: string;
  /** Absolute expiry. */
  expires_at: string;
  ip: string;
  user_agent: string;
  /** When the password was last typed again in this session (migration 010), or null. */
  reauth_at: string | null;
}

/** Throttling (migration 002). Times are epoch milliseconds, not ISO text: see the migration. */
export interface ThrottleFailureTable {
  id: Generated<number>;
  /** Opaque, already-hashed key given by the caller, e.g. `login:acct:<sha256>`. */
  key: string;
  at: number;
}

export interface ThrottleKeyTable {
  key: string;
  /** Consecutive failures since the last success (forgotten 24 h after the last failure). */
  streak: number;
  last_failure_at: number;
}

export interface ChallengeUsedTable {
  signature: string;
  expires_at: number;
}

export interface ResetTokenTable {
  token_hash: string;
  account_id: number;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  cancelled_at: string | null;
}

export interface VerificationCodeTable {
  id: Generated<number>;
  account_id: number;
  /** `recovery_email` (confirm a new recovery address) or `recovery_signin` (optional second factor). */
  purpose: string;
  /** The address the code was sent to. */
  target: string;
  code_hash: string;
  created_at: string;
  expires_at: string;
  attempts_left: number;
  consumed_at: string | null;
}

export interface OutboxMessageTable {
  id: Generated<number>;
  created_at: string;
  recipient: string;
  subject: string;
  text_body: string;
  /** The whole RFC 5322 message. */
  raw: string;
}

/** The mail store (migration 005). */
export interface MailFolderTable {
  id: Generated<number>;
  account_id: number;
  parent_id: number | null;
  name: string;
  /** `inbox`, `drafts`, `sent`, `junk`, `trash`; null for the user's own folders. */
  role: string | null;
  message_count: Generated<number>;
  unread_count: Generated<number>;
  size_bytes: Generated<number>;
  created_at: string;
  /** IMAP (migration 014): UIDVALIDITY, the next UID, the highest MODSEQ, the subscription. */
  uid_validity: Generated<number>;
  uid_next: Generated<number>;
  highest_modseq: Generated<number>;
  subscribed: Generated<number>;
  vanished_floor: Generated<number>;
}

/** A message answered 250 and not stored yet (migration 023, mail/intake.ts). */
export interface MailIntakeTable {
  id: Generated<number>;
  raw: Buffer;
  /** JSON: `Recipient[]`. */
  recipients: string;
  /** JSON: the delivery's `DeliveryMeta`. */
  meta: string;
  received_at: string;
  /** When the next attempt to store it is due (ISO-8601); now when it arrives. */
  next_attempt_at: string;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface MailBlobTable {
  id: Generated<number>;
  /** The message exactly as received (RFC 5322 bytes). */
  raw: Buffer;
  size: number;
  /** The MIME structure for IMAP FETCH (JSON), computed at the first FETCH that needs it. */
  mime_tree: Generated<string | null>;
}

export interface MailMessageTable {
  id: Generated<number>;
  account_id: number;
  folder_id: number;
  blob_id: number;
  /** The id of the first message of the conversation in this account. */
  thread_id: number;
  message_id: string | null;
  in_reply_to: string | null;
  /** The References header's ids, space-separated. */
  refs: string;
  from_name: string;
  from_address: string;
  to_text: string;
  subject: string;
  sent_at: string;
  received_at: string;
  size: number;
  has_attachments: number;
  preview: string;
  seen: Generated<number>;
  answered: Generated<number>;
  flagged: Generated<number>;
  deleted: Generated<number>;
  draft: Generated<number>;
  /** What the reception found about the sender (migration 011): `lookalike,outside,…`, "" for none. */
  warnings: Generated<string>;
  /** The protected domain a look-alike sender imitates, or null. */
  imitates: Generated<string | null>;
  /** spamd's score of a message from outside (migration 013); null when it was not scored. */
  spam_score: Generated<number | null>;
  /** IMAP (migration 014): the UID in its folder, the MODSEQ of its last change, its keywords. */
  uid: Generated<number>;
  modseq: Generated<number>;
  keywords: Generated<string>;
}

/** PostgreSQL only (SQLite has the FTS5 table `mail_fts`, reached through raw SQL). */
export interface MailSearchTable {
  message_id: number;
  account_id: number;
  document: string;
}

/** The personal address book (migration 008). */
export interface ContactTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  /** Lower case. */
  address: string;
  created_at: string;
  updated_at: string;
}

/** The webmail's settings of an account (migration 007): signature, away message, forwarding. */
export interface MailSettingsTable {
  account_id: number;
  signature: Generated<string>;
  away_enabled: Generated<number>;
  /** YYYY-MM-DD (a day in Europe/Paris, inclusive), or null. */
  away_start: string | null;
  away_end: string | null;
  away_subject: Generated<string>;
  away_text: Generated<string>;
  forward_address: string | null;
  forward_keep_copy: Generated<number>;
  updated_at: string;
  /** How the mailbox is shown (migration 015): `right` or `off`. */
  reading_pane: Generated<string>;
  group_by_conversation: Generated<number>;
  /** `comfortable` or `compact`. */
  list_density: Generated<string>;
  show_size: Generated<number>;
}

/** The auto-replies sent (migration 007): one row per account and sender, the latest reply. */
export interface MailAutoReplyTable {
  account_id: number;
  /** Lower case. */
  sender: string;
  sent_at: string;
}

export interface Schema {
  console_role: ConsoleRoleTable;
  console_totp: ConsoleTotpTable;
  console_recovery_code: ConsoleRecoveryCodeTable;
  console_webauthn_credential: ConsoleWebauthnCredentialTable;
  console_webauthn_challenge: ConsoleWebauthnChallengeTable;
  person: PersonTable;
  person_search_term: PersonSearchTermTable;
  person_search_word: PersonSearchWordTable;
  establishment: EstablishmentTable;
  account: AccountTable;
  audit_event: AuditEventTable;
  throttle_failure: ThrottleFailureTable;
  throttle_key: ThrottleKeyTable;
  challenge_used: ChallengeUsedTable;
  session: SessionTable;
  reset_token: ResetTokenTable;
  verification_code: VerificationCodeTable;
  outbox_message: OutboxMessageTable;
  mail_folder: MailFolderTable;
  mail_blob: MailBlobTable;
  mail_intake: MailIntakeTable;
  mail_message: MailMessageTable;
  mail_search: MailSearchTable;
  contact: ContactTable;
  mail_settings: MailSettingsTable;
  mail_auto_reply: MailAutoReplyTable;
  outbound_message: OutboundMessageTable;
  outbound_delivery: OutboundDeliveryTable;
  recovery_email_change: RecoveryEmailChangeTable;
  reset_request: ResetRequestTable;
  phishing_report: PhishingReportTable;
  mail_vanished: MailVanishedTable;
  /** The dashboard's figures per UTC hour and series (migration 017): counters, samples, rolled-up audit. */
  stats_hourly: { hour: string; series: string; value: number };
  /** How far the audit trail is rolled up into stats_hourly (`until`: the first hour not rolled up). */
  stats_rollup: { name: string; until: string };
}

/** A message a user reported as phishing (migration 012): no content, the Message-ID and sender's domain. */
export interface PhishingReportTable {
  id: Generated<number>;
  account_id: number;
  /** The reported message's Message-ID header ("" when it had none). */
  message_id: string;
  sender_domain: string;
  reported_at: string;
}

/** A change or removal of an account's recovery address (migration 010). */
export interface RecoveryEmailChangeTable {
  id: Generated<number>;
  account_id: number;
  /** The address before the change (null: there was none). */
  previous_email: string | null;
  /** The address after it (null: removed). */
  new_email: string | null;
  changed_at: string;
  /** SHA-256 of the cancel link's token, sent to the previous address. */
  cancel_hash: string | null;
  cancelled_at: string | null;
}

/** An external reset request, recorded at once and worked on after the answer (migration 010). */
export interface ResetRequestTable {
  id: Generated<number>;
  /** What was typed (a username or an address); deleted once worked on. */
  identifier: string;
  ip: string;
  user_agent: string;
  created_at: string;
  claimed_until: string | null;
}

/** The outbound queue (migration 006): a message to external recipients, kept once. */
export interface OutboundMessageTable {
  id: Generated<number>;
  /** The sender's account (the bounce goes to its inbox). */
  account_id: number;
  envelope_from: string;
  /** The original subject, for the bounce and `sesame outbox`. */
  subject: string;
  /** The message as relayed (no Bcc header; DKIM-signed when configured). */
  raw: Buffer;
  size: number;
  created_at: string;
}

/** One external recipient of a queued message. */
export interface OutboundDeliveryTable {
  id: Generated<number>;
  message_id: number;
  recipient: string;
  /** `queued`, `sending`, `sent`, `failed`. */
  state: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  /** While `sending`: after this time another worker may take the row again (a crash). */
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  /** created_at + 5 days: a temporary failure after this is final. */
  expires_at: string;
  done_at: string | null;
}

/** A UID that left its folder (moved, expunged), for QRESYNC and IDLE clients (migration 014). */
export interface MailVanishedTable {
  id: Generated<number>;
  folder_id: number;
  uid: number;
  modseq: number;
  at: string;
}

/** A console role held by an academic account (migration 018). */
export interface ConsoleRoleTable {
  account_id: number;
  /** `assistance`, `admin` or `securite`. */
  role: string;
  granted_at: string;
  /** Who granted it: `cli`, or the console's actor (`console:<username>`). */
  granted_by: string;
}

/** A console user's TOTP second factor (migration 018). */
export interface ConsoleTotpTable {
  account_id: number;
  /** The base32 secret, sealed (AES-256-GCM) with a key derived from the server's secret. */
  secret_sealed: string;
  created_at: string;
  /** Null while the enrolment is not finished. */
  confirmed_at: string | null;
  /** The last time step accepted: a code of that step or an earlier one is refused. */
  last_step: Generated<number>;
}

/** A single-use recovery code of a console user, hashed (migration 018). */
export interface ConsoleRecoveryCodeTable {
  id: Generated<number>;
  account_id: number;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

/** A console user's WebAuthn credential: a security key or a passkey (migration 020). */
export interface ConsoleWebauthnCredentialTable {
  id: Generated<number>;
  account_id: number;
  /** The credential's id, base64url. */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The authenticator's signature counter last seen (0 when the authenticator keeps none). */
  sign_count: Generated<number>;
  /** The transports the browser reported, comma-separated (`usb,nfc`, `internal`…). */
  transports: string;
  /** The name the person gave the key. */
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** A WebAuthn challenge handed out to a console session, single-use (migration 020). */
export interface ConsoleWebauthnChallengeTable {
  /** The session's id hash. */
  session_hash: string;
  /** `register`, `sign-in` or `reauth`. */
  purpose: string;
  /** base64url, as sent to the browser. */
  challenge: string;
  account_id: number;
  expires_at: string;
}
