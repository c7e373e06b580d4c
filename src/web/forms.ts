/**
 * Input at the door. Every route declares the schema of its body, query string and parameters
 * (`src/web/schemas/`), built from the few types below; Fastify checks them (Ajv) before the
 * handler, which gets typed values, and a request that fails gets the French 400 page
 * (`plugins/input.ts`, after the CSRF check). A text field is a string (one value: a repeated
 * name is refused), at most 1,024 characters unless the route says otherwise, with no NUL or other
 * control character and no U+FFFD (what invalid UTF-8 becomes); "" when absent.
 * Bodies are parsed strictly too (`parseUrlencoded`): a percent-escape that is not valid UTF-8 is
 * refused, never kept as its raw text.
 */
import { type Static, type TProperties, type TSchema, Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";

export class BadInputError extends Error {
  readonly statusCode = 400;
}

export const MAX_FIELD_LENGTH = 1024;

/** The characters no text field may hold: C0 controls but tab, LF and CR; DEL; U+FFFD. */
const FORBIDDEN_CLASS = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\uFFFD";
/** The same rule as a regular expression, for the texts checked in a handler (compose's long fields). */
export const FORBIDDEN = new RegExp(`[${FORBIDDEN_CLASS}]`);
const textPattern = (max: number) => `^[^${FORBIDDEN_CLASS}]{0,${max}}$`;

/**
 * A text field of at most `max` characters as JavaScript counts them (UTF-16 units: the app's Ajv
 * runs patterns without the `u` flag, see `app.ts`), none of them forbidden; "" when absent.
 */
export const Text = (max = MAX_FIELD_LENGTH) => Type.String({ pattern: textPattern(max), default: "" });

/** The same, for a parameter whose absence means something (`?repondre=`): undefined when absent. */
export const OptionalText = (max = MAX_FIELD_LENGTH) => Type.Optional(Type.String({ pattern: textPattern(max) }));

/** A database id as written in a URL or a form: digits only, no sign, no leading zero (at most 15 digits). */
const ID = "[1-9][0-9]{0,14}";
const ID_RE = new RegExp(`^${ID}$`);

/** The one id parser: an id as written in a URL or a form, or null for anything else. */
export function parseId(value: unknown): number | null {
  if (typeof value !== "string" || !ID_RE.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** A database id in a form's schema (the rule of `parseId`). */
export const Id = () => Type.String({ pattern: `^${ID}$` });
/** An id, or "" (absent) for none. */
export const OptionalId = () => Type.String({ pattern: `^(?:${ID})?$`, default: "" });

/** A parameter only looked at for its presence or for known values (`?deconnecte`, `?fait=`): any value passes. */
export const Loose = () => Type.Optional(Type.Unknown());

/**
 * A form or a query string: the fields a route reads, typed; any other field (`_csrf`, a button's
 * name) is let through untouched, as the pages send them.
 */
export const Fields = <T extends TProperties>(properties: T) => Type.Object(properties);

/** A request whose query string was checked against `T`, for the helpers several routes share. */
export type WithQuery<T extends TSchema> = FastifyRequest & { readonly query: Static<T> };

/**
 * `application/x-www-form-urlencoded` parsing with the platform's WHATWG parser (URLSearchParams),
 * which turns invalid UTF-8 (`%FF%FE`) into U+FFFD: such a body is refused
 * whole (400) rather than checked as a password and counted as a failure. A repeated name gives an
 * array, which a text field's schema then refuses.
 */
export function parseUrlencoded(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  // Browsers always escape "%" itself: a "%" not followed by two hex digits is a malformed body.
  if (/%(?![0-9A-Fa-f]{2})/.test(body)) throw new BadInputError("malformed percent-encoding in the form");
  for (const [name, value] of new URLSearchParams(body)) {
    if (name.includes("\uFFFD") || value.includes("\uFFFD")) {
      throw new BadInputError("malformed percent-encoding or invalid UTF-8 in the form");
    }
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else out[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return out;
}
