/**
 * Opens an HR CSV export: checks it is a readable text file, detects its encoding (UTF-8 with or
 * without BOM, else Windows-1252) and its separator (`;` or `,`), checks the header, then streams
 * its records (csv-parse) with their line numbers. File-level problems throw CSV_INVALID or
 * FILE_UNREADABLE, with an English message for the operator.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { parse } from "csv-parse";
import iconv from "iconv-lite";
import { DomainError } from "../shared/errors.js";

export type Encoding = "utf-8" | "windows-1252";

export interface CsvRecord {
  readonly line: number;
  readonly fields: Readonly<Record<string, string | undefined>>;
}

export interface CsvSource {
  readonly encoding: Encoding;
  readonly delimiter: string;
  readonly size: number;
  records(onBytes?: (bytesRead: number) => void): AsyncIterable<CsvRecord>;
}

/** A record longer than this is refused (a corrupt or hostile file), with its line. */
export const MAX_RECORD_BYTES = 64 * 1024;
const HEADER_PEEK_BYTES = 64 * 1024;

function normalizeColumn(name: string): string {
  return name
    .replace(/^\uFEFF/, "")
    .trim()
    .toLowerCase();
}

async function scan(file: string): Promise<{ encoding: Encoding; head: Buffer }> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let utf8 = true;
  const headParts: Buffer[] = [];
  let headBytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    if (chunk.includes(0)) {
      throw new DomainError("CSV_INVALID", "the file contains binary data (NUL bytes): not a CSV text file");
    }
    if (headBytes < HEADER_PEEK_BYTES) {
      headParts.push(chunk.subarray(0, HEADER_PEEK_BYTES - headBytes));
      headBytes += Math.min(chunk.length, HEADER_PEEK_BYTES - headBytes);
    }
    if (utf8) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        utf8 = false;
      }
    }
  }
  if (utf8) {
    try {
      decoder.decode();
    } catch {
      utf8 = false;
    }
  }
  return { encoding: utf8 ? "utf-8" : "windows-1252", head: Buffer.concat(headParts) };
}

function detectDelimiter(headerLine: string): string | null {
  const counts = [";", ",", "\t"].map((d) => [d, headerLine.split(d).length - 1] as const);
  const best = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  return best[1] > 0 ? best[0] : null;
}

export async function openCsv(file: string, requiredColumns: readonly string[]): Promise<CsvSource> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new DomainError("FILE_UNREADABLE", `not a regular file: ${file}`);
    size = st.size;
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DomainError(
      "FILE_UNREADABLE",
      code === "ENOENT" ? `file not found: ${file}` : `cannot read ${file} (${code ?? "unknown error"})`,
    );
  }
  if (size === 0) throw new DomainError("CSV_INVALID", "the file is empty: expected a header row and data rows");

  let scanned: { encoding: Encoding; head: Buffer };
  try {
    scanned = await scan(file);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError("FILE_UNREADABLE", `cannot read ${file} (${(error as Error).message})`);
  }
  const { encoding, head } = scanned;
  const headText = encoding === "utf-8" ? head.toString("utf8") : iconv.decode(head, "win1252");
  const newline = headText.search(/\r?\n/);
  if (newline < 0 && head.length >= HEADER_PEEK_BYTES) {
    throw new DomainError("CSV_INVALID", "the first line is too long to be a CSV header: not a CSV file");
  }
  const headerLine = (newline < 0 ? headText : headText.slice(0, newline)).replace(/^\uFEFF/, "");
  if (headerLine.trim() === "") throw new DomainError("CSV_INVALID", "the first line is empty: expected a header row");
  const delimiter = detectDelimiter(headerLine);
  if (delimiter === null) {
    throw new DomainError(
      "CSV_INVALID",
      `no separator (";" or ",") in the header row: not a CSV file with the columns ${requiredColumns.join(", ")}`,
    );
  }
  const columns = headerLine.split(delimiter).map((c) => normalizeColumn(c.replace(/^"|"$/g, "")));
  const missing = requiredColumns.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new DomainError(
      "CSV_INVALID",
      `missing column${missing.length > 1 ? "s" : ""}: ${missing.join(", ")} (header has: ${columns.join(", ")})`,
    );
  }

  return {
    encoding,
    delimiter,
    size,
    async *records(onBytes) {
      const input = createReadStream(file, { highWaterMark: 64 * 1024 });
      let bytes = 0;
      if (onBytes) {
        input.on("data", (chunk) => {
          bytes += chunk.length;
          onBytes(bytes);
        });
      }
      const text = encoding === "utf-8" ? input.setEncoding("utf8") : input.pipe(iconv.decodeStream("win1252"));
      const parser = text.pipe(
        parse({
          delimiter,
          bom: true,
          columns: (header: string[]) => header.map(normalizeColumn),
          relax_column_count: true,
          skip_empty_lines: true,
          skip_records_with_empty_values: true,
          trim: true,
          max_record_size: MAX_RECORD_BYTES,
          info: true,
        }),
      );
      let extraLines = 0;
      try {
        for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
          // csv-parse counts lines up to the end of the record; a quoted field with line breaks (a
          // comments column, say) spans several, and the operator looks for where the record starts.
          // It also counts a CRLF inside quotes as two lines, for this record and all the next ones.
          let spanned = 0;
          for (const name in item.record) {
            const value = item.record[name];
            if (value?.includes("\n")) {
              spanned += value.split("\n").length - 1;
              extraLines += value.split("\r\n").length - 1;
            }
          }
          yield { line: item.info.lines - extraLines - spanned, fields: item.record };
        }
      } catch (error) {
        input.destroy();
        const e = error as Error & { code?: string; lines?: number };
        const where = e.lines ? ` at line ${e.lines - extraLines}` : "";
        if (e.code === "CSV_MAX_RECORD_SIZE") {
          throw new DomainError(
            "CSV_INVALID",
            `a record${where} is longer than ${MAX_RECORD_BYTES} bytes: not a valid HR export`,
          );
        }
        throw new DomainError("CSV_INVALID", `malformed CSV${where}: ${e.message}`);
      }
    },
  };
}
