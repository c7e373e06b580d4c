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

/** A console user's WebAuthn credential (a security key or a passkey), as the person sees it. */
export interface SecurityKey {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/**
 * What a WebAuthn challenge is handed out for: a key registered (at the enrolment or from the
 * console), the sign-in's second step, or a sensitive action's confirmation.
 */
export type SecurityKeyPurpose = "register" | "sign-in" | "reauth";
