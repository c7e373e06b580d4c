/** The `utf7` package (RFC 2152 UTF-7 and IMAP's modified UTF-7) ships no types. */
declare module "utf7" {
  interface Codec {
    encode(text: string): string;
    decode(text: string): string;
  }
  export const imap: Codec;
  export function encode(text: string, mask?: string): string;
  export function decode(text: string): string;
  const utf7: { imap: Codec; encode: typeof encode; decode: typeof decode };
  export default utf7;
}
