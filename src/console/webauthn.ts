/**
 * The WebAuthn relying party the console is (derived from the configured public URL: its host is
 * the RP ID, its origin the only origin accepted), and the shape checks of what a browser posts
 * before @simplewebauthn/server verifies it.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";

export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  readonly origin: string;
}

export function relyingParty(publicUrl: string, name: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, name, origin: url.origin };
}

/** The most a credential's JSON may weigh (an attestation with a certificate chain is a few kB). */
export const MAX_RESPONSE_CHARS = 16_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasBase64Url(record: Record<string, unknown>, key: string): boolean {
  const value = record[key];
  return typeof value === "string" && value.length > 0 && /^[A-Za-z0-9_-]+={0,2}$/.test(value);
}

/** The JSON text of the hidden field parsed, or null when it is not a public-key credential. */
function credentialJson(text: string): Record<string, unknown> | null {
  if (text.length === 0 || text.length > MAX_RESPONSE_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || value.type !== "public-key" || !hasBase64Url(value, "id") || !hasBase64Url(value, "rawId")) {
    return null;
  }
  if (!isRecord(value.response) || !hasBase64Url(value.response, "clientDataJSON")) return null;
  if (!isRecord(value.clientExtensionResults)) value.clientExtensionResults = {};
  return value;
}

export function parseRegistrationResponse(text: string): RegistrationResponseJSON | null {
  const value = credentialJson(text);
  if (!value || !isRecord(value.response) || !hasBase64Url(value.response, "attestationObject")) return null;
  // The fields the verification reads are checked above; the library checks the rest.
  return value as unknown as RegistrationResponseJSON;
}

export function parseAuthenticationResponse(text: string): AuthenticationResponseJSON | null {
  const value = credentialJson(text);
  if (
    !value ||
    !isRecord(value.response) ||
    !hasBase64Url(value.response, "authenticatorData") ||
    !hasBase64Url(value.response, "signature")
  ) {
    return null;
  }
  // The fields the verification reads are checked above; the library checks the rest.
  return value as unknown as AuthenticationResponseJSON;
}
