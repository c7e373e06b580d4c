/**
 * The configuration as it runs, flattened (`argon2.memoryCost`) with every secret masked: a key
 * naming a secret, a password or a token shows a mask; a URL shows no user or password. Shown by the
 * console's configuration page and printed by `sesame config check`.
 */
import type { Config } from "./config.js";

const SECRET_KEY = /secret|password|passwd|pass$|token|apikey|api_key|privatekey/i;
export const MASK = "••••••••";

/** A value shown with any credential in it masked: a URL's user and password, `?password=` parameters. */
export function maskUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  try {
    const url = new URL(value);
    let changed = false;
    if (url.username || url.password) {
      url.username = url.username ? MASK : "";
      url.password = url.password ? MASK : "";
      changed = true;
    }
    for (const key of [...url.searchParams.keys()]) {
      if (SECRET_KEY.test(key)) {
        url.searchParams.set(key, MASK);
        changed = true;
      }
    }
    return changed ? decodeURIComponent(url.toString()) : value;
  } catch {
    // Not parseable but has a scheme: hide whatever sits before an `@`.
    return value.replace(/\/\/[^/@]*@/, `//${MASK}@`);
  }
}

/** Every value of the running configuration, flattened (`argon2.memoryCost`), secrets masked (a number or a flag is never one). */
export function maskedConfig(config: Config): Array<{ key: string; value: string; masked: boolean }> {
  const out: Array<{ key: string; value: string; masked: boolean }> = [];
  const walk = (prefix: string, value: unknown): void => {
    const key = prefix;
    const last = key.split(".").pop() ?? key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
      return;
    }
    if (SECRET_KEY.test(last) && typeof value === "string" && value !== "") {
      out.push({ key, value: MASK, masked: true });
      return;
    }
    const text = Array.isArray(value)
      ? value.map((v) => (typeof v === "string" ? maskUrl(v) : JSON.stringify(v))).join(", ")
      : typeof value === "string"
        ? maskUrl(value)
        : value === null || value === undefined
          ? ""
          : typeof value === "object"
            ? JSON.stringify(value)
            : String(value);
    out.push({ key, value: text, masked: text !== (Array.isArray(value) ? value.join(", ") : String(value ?? "")) });
  };
  walk("", config);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}
