/**
 * A minimal PDF writer: one A4 page, a bold title and lines of Helvetica (WinAnsiEncoding), with
 * correct cross-reference offsets.
 */

/** Windows-1252 (what the standard PDF fonts' WinAnsiEncoding is), "?" for what it lacks. */
const WIN_ANSI_EXTRAS: Readonly<Record<string, number>> = {
  "€": 0x80,
  "‚": 0x82,
  "„": 0x84,
  "…": 0x85,
  "‘": 0x91,
  "’": 0x92,
  "“": 0x93,
  "”": 0x94,
  "•": 0x95,
  "–": 0x96,
  "—": 0x97,
  œ: 0x9c,
  Œ: 0x8c,
  Ÿ: 0x9f,
};

function winAnsi(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0x3f;
    const extra = WIN_ANSI_EXTRAS[ch];
    if (extra !== undefined) bytes.push(extra);
    else if (code === 0x202f || code === 0x2009) bytes.push(0xa0);
    else if ((code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff)) bytes.push(code);
    else bytes.push(0x3f);
  }
  return Buffer.from(bytes);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** A one-page A4 PDF: a bold title and lines of Helvetica, with correct cross-reference offsets. */
export function pdfDocument(title: string, body: readonly string[]): Buffer {
  const literal = (text: string): Buffer =>
    Buffer.concat([Buffer.from("("), winAnsi(text.replace(/[\\()]/g, (ch) => `\\${ch}`)), Buffer.from(")")]);
  const lines = body.flatMap((paragraph) => wrap(paragraph, 88)).slice(0, 46);
  const stream = Buffer.concat([
    Buffer.from("BT\n/F1 15 Tf\n56 780 Td\n"),
    literal(title),
    Buffer.from(" Tj\n/F2 10.5 Tf\n0 -30 Td\n15 TL\n"),
    ...lines.flatMap((line) => [literal(line), Buffer.from(" Tj T*\n")]),
    Buffer.from("ET\n"),
  ]);
  const objects: Buffer[] = [
    Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
    Buffer.from(
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
    ),
    Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"),
    Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
    Buffer.concat([Buffer.from(`<< /Length ${stream.length} >>\nstream\n`), stream, Buffer.from("endstream")]),
    Buffer.concat([Buffer.from("<< /Title "), literal(title), Buffer.from(" /Producer (Sesame) >>")]),
  ];
  const chunks: Buffer[] = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let offset = chunks[0]?.length ?? 0;
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), object, Buffer.from("\nendobj\n")]);
    offsets.push(offset);
    chunks.push(chunk);
    offset += chunk.length;
  });
  const xref = [
    "xref",
    `0 ${objects.length + 1}`,
    "0000000000 65535 f ",
    ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n `),
    "trailer",
    `<< /Size ${objects.length + 1} /Root 1 0 R /Info 7 0 R >>`,
    "startxref",
    String(offset),
    "%%EOF",
    "",
  ].join("\n");
  chunks.push(Buffer.from(xref, "latin1"));
  return Buffer.concat(chunks);
}
