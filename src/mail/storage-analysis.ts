/**
 * What storing a message needs to know of it, read from its bytes alone: its headers, preview and
 * text (mime.ts), the words of its full-text index entry, and for mail from outside the warnings its
 * sender warrants (sender-warnings.ts). A pure function of the message and of the académie's domains,
 * so that it can run on a worker thread (sender-check-pool.ts's `analyse`: the MIME parse of a 20 KB
 * message is most of a store's main-thread time) or on the calling thread (MailService).
 */
import { foldText, readForStorage, type StoredHeaders } from "./mime.js";
import { senderWarnings, type WarningContext } from "./sender-warnings.js";

export interface StorageAnalysis {
  readonly parsed: StoredHeaders;
  /** The index entry's columns, as indexWords gives them. */
  readonly fields: { sender: string; recipients: string; subject: string; body: string };
  /** The sender warnings (comma-separated, most serious first), "" for none or mail from inside. */
  readonly warnings: string;
  /** The protected domain a look-alike sender imitates, or null. */
  readonly imitates: string | null;
}

/** Letters and digits only, accents folded and lowercase: what the index holds and queries use. */
export function indexWords(value: string): string {
  return foldText(value)
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * Reads `raw` for storage. `inbound`: the reception's verdict for mail from outside (its sender is
 * then judged), null for the académie's own mail (sent, drafts, IMAP APPEND).
 */
export async function analyseForStorage(
  raw: Buffer,
  inbound: { readonly verified: boolean | null } | null,
  context: WarningContext,
): Promise<StorageAnalysis> {
  const parsed = await readForStorage(raw);
  const found = inbound
    ? senderWarnings(
        {
          fromName: parsed.from?.name ?? "",
          fromAddress: parsed.from?.address ?? "",
          subject: parsed.subject,
          text: parsed.indexText,
          verified: inbound.verified,
        },
        context,
      )
    : null;
  return {
    parsed,
    fields: {
      sender: indexWords(`${parsed.from?.name ?? ""} ${parsed.from?.address ?? ""}`),
      recipients: indexWords(parsed.recipientsText),
      subject: indexWords(parsed.subject),
      body: indexWords(parsed.indexText),
    },
    warnings: found?.warnings.join(",") ?? "",
    imitates: found?.lookalike?.imitates ?? null,
  };
}
