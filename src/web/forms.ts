/**
 * Reading form fields safely: strings only, at most 1,024 characters, no NUL or other control
 * characters, no U+FFFD (what invalid UTF-8 becomes). Anything else is a 400 with a French page.
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
