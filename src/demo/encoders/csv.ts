/** Semicolon-separated, UTF-8 with a byte order mark and CRLF lines, as French spreadsheets like it. */
export function csvFile(rows: readonly (readonly (string | number)[])[]): Buffer {
  const field = (value: string | number): string => {
    const text = String(value);
    return /[";\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return Buffer.from(`\uFEFF${rows.map((row) => row.map(field).join(";")).join("\r\n")}\r\n`, "utf8");
}
