/**
 * Benchmark of the HR staff import: a generated 100,000-row CSV imported on a
 * fresh SQLite database through the real service. Target: ≥ 5,000 rows/s and peak memory < 300 MB.
 * Prints a readable summary, then as its last line one JSON object with the figures.
 *
 *   npm run bench:import            (BENCH_ROWS=20000 npm run bench:import for a quicker run)
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config/config.js";
import { uaiKey } from "../src/directory/identifiers.js";
import { openServices } from "../src/services.js";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const TARGET_ROWS_PER_SEC = 5_000;
const TARGET_PEAK_MB = 300;
const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

/** Small deterministic PRNG (mulberry32): the same file on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** faker's French name lists (fr locale data, loaded in the generating process only), plus names
 * that exercise the username rules (particles, apostrophes, hyphens, accents, ligatures). */
async function frenchNames(): Promise<{ last: string[]; female: string[]; male: string[] }> {
  const { fr } = await import("@faker-js/faker");
  const person = (fr.person ?? {}) as Record<string, unknown>;
  const list = (value: unknown): string[] => {
    if (!Array.isArray(value) || value.length < 50) throw new Error("faker's fr locale has no list of names here");
    return value as string[];
  };
  const first = person.first_name as { female?: unknown; male?: unknown } | undefined;
  return {
    last: [
      ...list((person.last_name as { generic?: unknown } | undefined)?.generic),
      "Lefèvre",
      "Léger",
      "Géraud",
      "Le Gall",
      "D'Artagnan",
      "de La Fontaine",
      "Müller-Lüdenscheidt",
      "Bézier",
      "Cœur",
      "Nguyễn",
      "Saint-Exupéry",
      "de La Rochefoucauld-Liancourt",
    ],
    female: list(first?.female),
    male: list(first?.male),
  };
}

const CATEGORIES = ["enseignant", "enseignant", "enseignant", "administratif", "santé", "technique", "direction"];

function numen(n: number): string {
  // Distinct for every n < 10^7 · 26: 2 digits, 1 letter, 7 digits, 3 letters.
  const L = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const d7 = String(n % 10_000_000).padStart(7, "0");
  const high = Math.floor(n / 10_000_000);
  return `${String(n % 97).padStart(2, "0")}${L[high % 26]}${d7}${L[n % 26]}${L[Math.floor(n / 26) % 26]}${L[Math.floor(n / 676) % 26]}`;
}

async function generateCsv(file: string, rows: number): Promise<void> {
  const names = await frenchNames();
  const random = prng(20260901);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const uais = Array.from({ length: 400 }, (_, i) => {
    const digits = `069${String(i * 7 + 11).padStart(4, "0")}`;
    return `${digits}${uaiKey(digits)}`;
  });
  const out = createWriteStream(file, { encoding: "utf8" });
  out.write("numen;civilite;nom;prenom;date_naissance;categorie;uai\n");
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    const female = random() < 0.6;
    const day = 1 + Math.floor(random() * 28);
    const month = 1 + Math.floor(random() * 12);
    const year = 1960 + Math.floor(random() * 42);
    chunk.push(
      [
        numen(1_000_000 + i * 7919),
        female ? "Mme" : "M.",
        pick(names.last),
        pick(female ? names.female : names.male),
        `${String(day).padStart(2, "0")}/${String(month).padStart(2, "0")}/${year}`,
        pick(CATEGORIES),
        pick(uais),
      ].join(";"),
    );
    if (chunk.length === 5_000) {
      if (!out.write(`${chunk.join("\n")}\n`)) await once(out, "drain");
      chunk = [];
    }
  }
  if (chunk.length > 0) out.write(`${chunk.join("\n")}\n`);
  out.end();
  await once(out, "finish");
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-"));
  try {
    const file = path.join(dir, "staff.csv");
    const genStart = performance.now();
    // The file is written by a child process, so that the memory measured here is the import's only.
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--generate", file], {
      stdio: "inherit",
    });
    const genSeconds = (performance.now() - genStart) / 1000;
    const config = loadConfig({
      SESAME_DATA_DIR: path.join(dir, "data"),
      SESAME_SECRET: SECRET,
      SESAME_LOG_LEVEL: "silent",
    });
    const services = await openServices(config);
    try {
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 50);
      const start = performance.now();
      const report = await services.staffImport.importFile(file, { actor: "bench:import" });
      const seconds = (performance.now() - start) / 1000;
      clearInterval(sampler);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const maxRssMB = mb(process.resourceUsage().maxRSS * 1024);
      const peakRssMB = Math.max(maxRssMB, mb(peakRss));
      const rowsPerSec = Math.round(ROWS / seconds);

      if (report.created !== ROWS || report.rejected.length > 0 || !report.applied) {
        throw new Error(
          `unexpected import result: ${JSON.stringify({ ...report, rejected: report.rejected.slice(0, 5) })}`,
        );
      }
      const dbFile = config.databaseUrl.slice("sqlite:".length);
      console.log("Staff import benchmark (SQLite)");
      console.log(
        `  file:          ${ROWS.toLocaleString("en")} rows, ${mb(statSync(file).size)} MB (generated in ${genSeconds.toFixed(1)} s)`,
      );
      console.log(
        `  imported:      ${report.created.toLocaleString("en")} people and accounts in ${seconds.toFixed(2)} s`,
      );
      console.log(
        `  speed:         ${rowsPerSec.toLocaleString("en")} rows/s (target ≥ ${TARGET_ROWS_PER_SEC.toLocaleString("en")})`,
      );
      console.log(
        `  memory:        peak RSS ${peakRssMB} MB (maxRSS ${maxRssMB} MB, sampled ${mb(peakRss)} MB, ${mb(rssBefore)} MB before; target < ${TARGET_PEAK_MB} MB)`,
      );
      console.log(`  database file: ${mb(statSync(dbFile).size)} MB`);
      const ok = rowsPerSec >= TARGET_ROWS_PER_SEC && peakRssMB < TARGET_PEAK_MB;
      console.log(`  verdict:       ${ok ? "meets the targets" : "MISSES the targets"}`);
      console.log(JSON.stringify({ rows: ROWS, seconds: Math.round(seconds * 100) / 100, rowsPerSec, peakRssMB }));
      if (!ok) process.exitCode = 1;
    } finally {
      await services.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const generateIndex = process.argv.indexOf("--generate");
if (generateIndex > 0) await generateCsv(process.argv[generateIndex + 1] as string, ROWS);
else await main();
