/**
 * The header block of a raw message as bytes: its fields in order (a field with its folded
 * continuation lines), so that a field can be counted, dropped or added without parsing or
 * re-encoding the rest of the message. The bytes of every field kept, and of the body, are left as
 * they came (a DKIM signature over them stays valid).
 */

export interface HeaderField {
  /** The field name in lower case ("authentication-results"). */
  readonly name: string;
  /** The whole field as received, continuation lines and line ends included (latin1). */
  readonly raw: string;
  /** The unfolded value after the colon, trimmed. */
  readonly value: string;
}

export interface HeaderBlock {
  readonly fields: readonly HeaderField[];
  /** Where the body starts (after the empty line), or raw.length when there is none. */
  readonly bodyOffset: number;
}

/** Reads the header block (latin1: one character per byte, nothing decoded). */
export function readHeaderBlock(raw: Buffer): HeaderBlock {
  let end = raw.indexOf("\r\n\r\n");
  let bodyOffset = end < 0 ? raw.length : end + 4;
  const lf = raw.indexOf("\n\n");
  if (lf >= 0 && (end < 0 || lf < end)) {
    end = lf;
    bodyOffset = lf + 2;
  }
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString("latin1");
  const fields: HeaderField[] = [];
  // Each line with its line end; a line starting with a space or a tab continues the field before.
  const lines = head.length === 0 ? [] : head.split(/(?<=\n)/);
  if (end >= 0 && lines.length > 0 && !lines[lines.length - 1]?.endsWith("\n")) {
    lines[lines.length - 1] += raw[end] === 0x0d ? "\r\n" : "\n";
  }
  let current: string | null = null;
  const push = () => {
    if (current === null) return;
    // A line that is not a field (no colon) is kept as it came, under no name.
    const colon = current.indexOf(":");
    fields.push({
      name: colon > 0 ? current.slice(0, colon).trim().toLowerCase() : "",
      raw: current,
      value: current
        .slice(colon + 1)
        .replace(/\r?\n[ \t]/g, " ")
        .trim(),
    });
    current = null;
  };
  for (const line of lines) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && current !== null) {
      current += line;
    } else {
      push();
      current = line;
    }
  }
  push();
  return { fields, bodyOffset };
}

/** How many fields are named `name` (lower case). */
export function countFields(block: HeaderBlock, name: string): number {
  return block.fields.filter((f) => f.name === name).length;
}

/**
 * The message with `prepend` put first and every field for which `drop` answers true left out;
 * the other fields and the body are the bytes received.
 */
export function rewriteHeaders(
  raw: Buffer,
  block: HeaderBlock,
  prepend: string,
  drop: (field: HeaderField) => boolean,
): Buffer {
  const newline = raw.includes("\r\n") ? "\r\n" : "\n";
  let head =
    prepend +
    block.fields
      .filter((f) => !drop(f))
      .map((f) => f.raw)
      .join("");
  if (head !== "" && !head.endsWith("\n")) head += newline;
  return Buffer.concat([Buffer.from(head + newline, "latin1"), raw.subarray(block.bodyOffset)]);
}
