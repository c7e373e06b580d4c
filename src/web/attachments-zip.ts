/**
 * « Télécharger tout »: the attachments of one message as one ZIP file, written by yazl (never by
 * hand) and streamed: one entry at a time, 64 KiB at a time, at the pace the client reads, so the
 * archive is never held whole in memory (the attachments themselves are, as the parser gives them).
 *
 * Names inside the archive are flagged UTF-8 (yazl sets bit 11 on every entry) so accented French
 * names survive; they are bare file names (no folder, no `..`), unique whatever the case (« nom
 * (2).pdf »), and never empty (« piece-jointe-N »). Formats that are compressed already (images,
 * PDF, Office and OpenDocument files, archives) are stored as they are; the rest is deflated.
 */
import { PassThrough, Readable } from "node:stream";
import { ZipFile } from "yazl";
import type { AttachmentContent } from "../mail/mail.types.js";

/** The archive's name when the subject gives none. */
const FALLBACK_ARCHIVE_NAME = "pieces-jointes";
const ARCHIVE_NAME_LENGTH = 100;
const CHUNK_BYTES = 64 * 1024;

/** Control, format (bidirectional overrides, zero-width) and line/paragraph separator characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
/** Characters Windows refuses in a file name (the path separators are handled apart). */
const WINDOWS_RESERVED = /[<>:"|?*]/g;

const COMPRESSED_TYPES =
  /^(?:image\/(?:jpeg|png|gif|webp|avif|heic|heif)|audio\/(?:mpeg|mp4|aac|ogg|opus|webm|flac)|video\/|application\/(?:zip|x-zip-compressed|gzip|x-gzip|x-7z-compressed|x-rar-compressed|vnd\.rar|x-bzip2|x-xz|zstd|pdf|epub\+zip|java-archive|vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.|vnd\.ms-[a-z]+\.[a-z.]*macroenabled))/;
const COMPRESSED_EXTENSIONS =
  /\.(?:zip|7z|rar|gz|tgz|bz2|xz|zst|jpe?g|png|gif|webp|avif|heic|mp3|m4a|aac|ogg|opus|flac|mp4|m4v|mov|webm|mkv|avi|pdf|docx|docm|xlsx|xlsm|pptx|pptm|odt|ods|odp|odg|epub|jar)$/i;

/** Whether deflating would only cost time: a format that is compressed already. */
export function isCompressed(filename: string, contentType: string): boolean {
  return COMPRESSED_TYPES.test(contentType.toLowerCase()) || COMPRESSED_EXTENSIONS.test(filename);
}

/** One attachment's name as a bare file name inside the archive (`index` from 0, for the fallback). */
function entryName(filename: string, index: number): string {
  const base = filename.split(/[/\\]/).pop() ?? "";
  const cleaned = base
    .replace(INVISIBLE, "")
    .replace(WINDOWS_RESERVED, "_")
    .replace(/^[.\s]+|[.\s]+$/g, "");
  return cleaned === "" ? `piece-jointe-${index + 1}` : cleaned;
}

/** « nom.pdf » → « nom (2).pdf ». */
function numbered(name: string, n: number): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/** The names of the archive's entries, in order: bare, never empty, unique even on a case-blind disk. */
export function entryNames(filenames: readonly string[]): string[] {
  const taken = new Set<string>();
  const key = (name: string) => name.normalize("NFC").toLowerCase();
  return filenames.map((filename, index) => {
    const base = entryName(filename, index);
    let name = base;
    for (let n = 2; taken.has(key(name)); n++) name = numbered(base, n);
    taken.add(key(name));
    return name;
  });
}

/** The archive's file name, after the message's subject: « Compte rendu.zip », else « pieces-jointes.zip ». */
export function archiveName(subject: string): string {
  const cleaned = subject
    .replace(INVISIBLE, "")
    .replace(/[/\\]/g, "-")
    .replace(WINDOWS_RESERVED, "_")
    .replace(/\s+/g, " ");
  const cut = Array.from(cleaned).slice(0, ARCHIVE_NAME_LENGTH).join("");
  const name = cut.replace(/^[.\s]+|[.\s]+$/g, "");
  return `${name === "" ? FALLBACK_ARCHIVE_NAME : name}.zip`;
}

/** The bytes as 64 KiB views (no copy), so that deflate and the response keep their back-pressure. */
function* chunks(content: Buffer): Generator<Buffer> {
  for (let at = 0; at < content.length; at += CHUNK_BYTES) yield content.subarray(at, at + CHUNK_BYTES);
}

/** The ZIP file of these attachments, as a stream (each entry read only when the previous one is written). */
export function attachmentsZip(attachments: readonly AttachmentContent[]): Readable {
  const zip = new ZipFile();
  const names = entryNames(attachments.map((a) => a.filename));
  attachments.forEach((attachment, index) => {
    const { content } = attachment;
    zip.addReadStreamLazy(
      names[index] ?? entryName("", index),
      { size: content.length, compress: !isCompressed(attachment.filename, attachment.contentType) },
      (open) => open(null, Readable.from(chunks(content), { objectMode: false })),
    );
  });
  zip.end();
  const out = zip.outputStream;
  // yazl's output is a PassThrough (its typings only say NodeJS.ReadableStream).
  if (!(out instanceof PassThrough)) throw new Error("yazl's output stream is not a PassThrough");
  zip.on("error", (error: Error) => out.destroy(error));
  return out;
}
