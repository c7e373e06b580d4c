/**
 * Every action the audit trail records, dotted: what happened, to what kind of record. A module
 * records only these, and the readers that filter on them (a sign-in history, `sesame audit
 * --action`) name only these: a misspelt action does not compile. A new kind of event is added here.
 */
export const AUDIT_ACTIONS = [
  // Sign-in to the webmail, the assistance and SMTP submission.
  "login.succeeded",
  "login.succeeded_must_change",
  "login.failed",
  "login.throttled",
  "login.challenge_required",
  "logout",
  // Passwords, wherever they are changed.
  "password.changed",
  "password.initial_replaced",
  // Accounts.
  "account.created",
  "account.disabled",
  "account.holder_changed",
  "account.reauthenticated",
  "account.recovery_email_set",
  "account.recovery_email_removed",
  "account.session_closed",
  // The directory and its imports.
  "person.created",
  "person.updated",
  "person.departed",
  "person.returned",
  "establishment.created",
  "establishment.updated",
  "import.staff",
  "import.establishments",
  // Assistance à l'identification.
  "recovery.numen_succeeded",
  "recovery.numen_succeeded_code_sent",
  "recovery.numen_failed",
  "recovery.throttled",
  "recovery.challenge_required",
  "recovery.code_succeeded",
  "recovery.link_requested",
  "recovery.link_sent",
  "recovery.link_throttled",
  "recovery.email_code_sent",
  "recovery.email_change_cancelled",
  // Mail.
  "mail.sent",
  "mail.settings_changed",
  "mail.forwarding_turned_off",
  "mail.phishing_reported",
  "mail.not_junk",
  "mail.quarantined",
  "mail.released",
  "contacts.suggestions_throttled",
  "smtp.harvesting_blocked",
  // The console: roles, its second factor.
  "console.role_granted",
  "console.role_revoked",
  "console.totp_enrolled",
  "console.second_factor_succeeded",
  "console.second_factor_failed",
  "console.second_factor_throttled",
  "console.recovery_code_used",
  "console.reauthenticated",
  "console.webauthn_registered",
  "console.webauthn_removed",
  "console.webauthn_counter_rejected",
  "console.audit_exported",
  "console.people_searched",
  "console.report_viewed",
  // The helpdesk's card and actions (console `assistance`): the agent is the actor, the reason in the details.
  "helpdesk.card_viewed",
  "helpdesk.numen_checked",
  "helpdesk.birth_date_checked",
  "helpdesk.verify_throttled",
  "helpdesk.throttle_lifted",
  "helpdesk.reset_link_sent",
  "helpdesk.temporary_password_set",
  "helpdesk.sessions_ended",
  "helpdesk.account_disabled",
  "helpdesk.account_enabled",
  "helpdesk.account_compromised",
  // The administration's outbound queue (console `admin`): the agent is the actor, the delivery the entity.
  "outbound.retried",
  "outbound.cancelled",
  // The trail's own retention purge (SESAME_AUDIT_RETENTION_DAYS): the cutoff and the count in the details.
  "audit.purged",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

/** Whether a string typed at a door (`sesame audit --action …`) names an action of the trail. */
export function isAuditAction(value: string): value is AuditAction {
  return KNOWN.has(value);
}
