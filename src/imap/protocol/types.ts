/**
 * The values of the IMAP grammar (RFC 9051 §9), as the command reader gives them and as the response
 * writer takes them. Shared by the reader, the writer, the MIME structure and the session.
 */

/** What a client sent, one token of a command's arguments. */
export type ImapToken = ImapAtomToken | ImapStringToken | ImapListToken;

/**
 * An atom (`FLAGS`, `1:*`, `\Seen`, `NIL`…). A fetch attribute with a section carries it parsed:
 * `BODY.PEEK[HEADER.FIELDS (DATE FROM)]<0.100>` is the atom `BODY.PEEK` with `section` the tokens
 * between the brackets (`HEADER.FIELDS`, a list of `DATE` and `FROM`) and `partial` [0, 100].
 */
export interface ImapAtomToken {
  readonly type: "atom";
  readonly value: string;
  readonly section?: readonly ImapToken[];
  readonly partial?: readonly [offset: number, length: number];
}

/** A quoted string or a literal (`{12}` / `{12+}` / `~{12}` for binary), as the bytes sent. */
export interface ImapStringToken {
  readonly type: "string";
  readonly value: Buffer;
  readonly literal: boolean;
  /** `~{n}` (RFC 3516 literal8). */
  readonly binary?: boolean;
}

export interface ImapListToken {
  readonly type: "list";
  readonly items: readonly ImapToken[];
}

/** One complete command line (with its literals). */
export interface ImapCommand {
  readonly tag: string;
  /** Upper-cased; `UID FETCH` and the like keep the space. */
  readonly name: string;
  readonly args: readonly ImapToken[];
}

/**
 * What the writer puts on the wire:
 * - `null` → NIL;
 * - a number or bigint → the decimal number;
 * - a string → a quoted string, or a literal when it cannot be quoted (CR, LF, NUL, 8-bit text without
 *   UTF8=ACCEPT, or longer than 1,000 bytes);
 * - a Buffer → always a literal;
 * - `{ atom }` → written as is (`\Seen`, `BODY[1.2]`, `UIDNEXT`…);
 * - `{ literal8 }` → a `~{n}` literal (BINARY);
 * - `{ adjacent }` → its items one after the other, without spaces (`1*body` of a multipart
 *   BODYSTRUCTURE, `1*address` of an ENVELOPE: RFC 9051 §9);
 * - an array → a parenthesised list.
 */
export type ImapOut =
  | null
  | number
  | bigint
  | string
  | Buffer
  | { readonly atom: string }
  | { readonly literal8: Buffer }
  | { readonly adjacent: readonly ImapOut[] }
  | readonly ImapOut[];
