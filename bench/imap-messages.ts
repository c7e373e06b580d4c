/** Messages the IMAP benchmark delivers and appends (plain RFC 5322 text, deterministic). */

/** A plain text message to `to`. */
export function textMessage(to: string, subject: string, body: string): Buffer {
  return Buffer.from(
    [
      "From: Banc d'essai <banc@exemple.fr>",
      `To: ${to}`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${Math.random().toString(36).slice(2)}@exemple.fr>`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      body,
      "",
    ].join("\r\n"),
  );
}

/** `count` messages of about 4 KB whose subjects and bodies draw on `words` (the same on both servers). */
export function workloadMessages(count: number, words: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const w = (k: number) => words[(i * 31 + k * 17) % words.length] ?? "mot";
    const body = Array.from({ length: 600 }, (_, k) => w(k)).join(" ");
    out.push(textMessage("banc@exemple.fr", `${w(1)} ${w(2)} ${w(3)}`, body));
  }
  return out;
}
