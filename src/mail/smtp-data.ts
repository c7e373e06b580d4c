/**
 * Reading the DATA of an SMTP transaction, shared by the reception and the submission: the bytes
 * are kept up to the size limit and no further (past it the client's bytes are read and dropped,
 * so that it can be answered 552 at the end without the server ever holding more than the limit).
 */
import type { SMTPServerDataStream } from "smtp-server";

export interface ReceivedData {
  readonly chunks: Buffer[];
  /** Bytes kept (0 when oversized). */
  readonly kept: number;
  /** The message went past the limit (nothing is kept). */
  readonly oversized: boolean;
}

export function readData(stream: SMTPServerDataStream, maxBytes: number): Promise<ReceivedData> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let oversized = false;
    stream.on("data", (chunk: Buffer) => {
      if (oversized) return; // keep reading (the client is still sending), keep nothing
      if (kept + chunk.length > maxBytes || stream.sizeExceeded) {
        oversized = true;
        chunks.length = 0;
        kept = 0;
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    });
    stream.once("error", reject);
    stream.once("end", () => {
      const over = oversized || stream.sizeExceeded;
      resolve({ chunks: over ? [] : chunks, kept: over ? 0 : kept, oversized: over });
    });
  });
}
