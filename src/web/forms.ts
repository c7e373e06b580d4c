/**
 * Reading form fields safely: strings only, at most 1,024 characters, no NUL or other control
 * characters, no U+FFFD (what invalid UTF-8 becomes). Anything else is a 400 with a French page.
 * Bodies are parsed strictly too (`parseUrlencoded`): a percent-escape that is not valid UTF-8 is
 * refused, never kept as its raw text.
 */
export class BadInputError extends Error {
  readonly statusCode = 400;
}

export const MAX_FIELD_LENGTH = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse control characters
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/;

export type FormBody = Readonly<Record<string, unknown>>;

export function formBody(body: unknown): FormBody {
  if (body === null || body === undefined) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw new BadInputError("body is not a form");
  return body as FormBody;
}

/** A text field ("" when absent). Repeated fields, over-long values and control characters are refused. */
export function field(body: FormBody, name: string, max = MAX_FIELD_LENGTH): string {
  const value = body[name];
  if (value === undefined) return "";
  if (typeof value !== "string") throw new BadInputError(`field ${name} is not a single text value`);
  if (value.length > max) throw new BadInputError(`field ${name} is too long`);
  if (FORBIDDEN.test(value)) throw new BadInputError(`field ${name} has forbidden characters`);
  return value;
}

/**
 * `application/x-www-form-urlencoded` parsing with the platform's WHATWG parser (URLSearchParams),
 * which turns invalid UTF-8 (`%FF%FE`) into U+FFFD: such a body is refused
 * whole (400) rather than checked as a password and counted as a failure. A repeated name gives an
 * array, which `field` then refuses.
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
