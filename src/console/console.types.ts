/**
 * The console's roles (`/console`), held by academic accounts only: the rectorat's helpdesk, the
 * DSI's administration, the security team.
 */
export const CONSOLE_ROLES = ["assistance", "admin", "securite"] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export function isConsoleRole(value: string): value is ConsoleRole {
  return (CONSOLE_ROLES as readonly string[]).includes(value);
}

export interface RoleHolder {
  readonly accountId: number;
  readonly username: string;
  readonly role: ConsoleRole;
  readonly grantedAt: string;
  readonly grantedBy: string;
}

/** What the enrolment page shows once: the secret to type by hand, and the otpauth URI (QR code). */
export interface TotpEnrolment {
  readonly secret: string;
  readonly uri: string;
}
