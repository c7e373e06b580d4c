/** Builders of HR rows and CSV files for tests. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import iconv from "iconv-lite";

export interface StaffRow {
  numen: string;
  civilite: string;
  nom: string;
  prenom: string;
  date_naissance: string;
  categorie: string;
  uai: string;
}

/** A valid, distinct NUMEN for each n. */
export function numenFor(n: number): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const l = (i: number) => letters.charAt(i % 26);
  return `${String(n % 100).padStart(2, "0")}${l(n)}${String(n).padStart(7, "0").slice(-7)}${l(n >> 2)}${l(n >> 5)}${l(n >> 9)}`;
}

export function staffRow(n: number, overrides: Partial<StaffRow> = {}): StaffRow {
  return {
    numen: numenFor(n),
    civilite: n % 2 ? "M." : "Mme",
    nom: `Martin${"abcdefghij".charAt(n % 10)}${"klmnopqrst".charAt(Math.floor(n / 10) % 10)}${"uvwxyzabcd".charAt(Math.floor(n / 100) % 10)}`,
    prenom: n % 2 ? "Jean" : "Élodie",
    date_naissance: `${String((n % 28) + 1).padStart(2, "0")}/${String((n % 12) + 1).padStart(2, "0")}/${1960 + (n % 40)}`,
    categorie: "enseignant",
    uai: "0690026D",
    ...overrides,
  };
}

export const STAFF_HEADER = ["numen", "civilite", "nom", "prenom", "date_naissance", "categorie", "uai"] as const;

export function staffCsv(
  rows: readonly StaffRow[],
  options: { separator?: string; header?: readonly string[] } = {},
): string {
  const sep = options.separator ?? ";";
  const header = options.header ?? STAFF_HEADER;
  const lines = rows.map((r) =>
    header.map((h) => (r as unknown as Record<string, string | undefined>)[h.toLowerCase()] ?? "").join(sep),
  );
  return `${header.join(sep)}\n${lines.join("\n")}\n`;
}

export function writeCsv(
  dir: string,
  name: string,
  content: string,
  encoding: "utf-8" | "utf-8-bom" | "windows-1252" = "utf-8",
): string {
  const file = path.join(dir, name);
  if (encoding === "windows-1252") writeFileSync(file, iconv.encode(content, "win1252"));
  else writeFileSync(file, `${encoding === "utf-8-bom" ? "\uFEFF" : ""}${content}`, "utf8");
  return file;
}
