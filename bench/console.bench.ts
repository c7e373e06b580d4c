/**
 * Console benchmark (issue 16). The helpdesk's person search on 100,000 people: p50/p95 of
 * `services.directory.searchPeople` over ~400 varied queries (full names as typed, « dupont j »,
 * misspelt names, usernames, addresses and their beginnings, UAIs, NUMENs, single letters, wildcards),
 * called on the service directly after a warm-up. Target: p95 ≤ 50 ms, on SQLite and on PostgreSQL.
 *
 *   npm run bench:console
 *   BENCH_PEOPLE=20000 BENCH_QUERIES=200 npm run bench:console
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:console   (a schema of its own, dropped)
 *
 * The people go through the real HR import (a generated CSV: French names mostly, names of other
 * origins, double-barrelled names), then the establishments import, then a `--full` import without
 * 2 % of them (departed), so that the search columns are filled as in production.
 *
 * Measures run one after the other on the same directory: MEASURES below; each returns its figures,
 * merged into the last line, one JSON object (`searchP95Ms`; the dashboard's measure adds its own).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { uaiKey } from "../src/directory/identifiers.js";
import type { PersonHit } from "../src/directory/people-search.js";
import type { Services } from "../src/services.js";
import { measureDashboard } from "./console-dashboard.js";
import { type BenchServer, machineLine, machineState, percentile, progress, round, startBenchServer } from "./lib.js";

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 400);
const ESTABLISHMENTS = 400;
const DEPARTED_SHARE = 0.02;
const TARGET_SEARCH_P95 = 50;

/** Small deterministic PRNG (mulberry32): the same directory and queries on every run. */
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

function numen(n: number): string {
  const L = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const d7 = String(n % 10_000_000).padStart(7, "0");
  const high = Math.floor(n / 10_000_000);
  return `${String(n % 97).padStart(2, "0")}${L[high % 26]}${d7}${L[n % 26]}${L[Math.floor(n / 26) % 26]}${L[Math.floor(n / 676) % 26]}`;
}

/** A generated staff member, as the HR file has them. */
export interface BenchPerson {
  readonly numen: string;
  readonly nom: string;
  readonly prenom: string;
  readonly uai: string;
  readonly departed: boolean;
}

type Lists = { frLast: string[]; otherLast: string[]; frFirst: string[]; otherFirst: string[] };

/**
 * Name lists from faker's locale data: French names (the common ones, each borne by hundreds of
 * people here as Martin is in France), and names of other origins (each borne by a few).
 */
async function nameLists(): Promise<Lists> {
  const faker = await import("@faker-js/faker");
  type PersonData = {
    last_name?: { generic?: string[]; female?: string[]; male?: string[] };
    first_name?: { generic?: string[]; female?: string[]; male?: string[] };
  };
  const person = (locale: string) =>
    ((faker as unknown as Record<string, { person?: PersonData }>)[locale]?.person ?? {}) as PersonData;
  const names = (list: { generic?: string[]; female?: string[]; male?: string[] } | undefined) => [
    ...(list?.generic ?? []),
    ...(list?.female ?? []),
    ...(list?.male ?? []),
  ];
  // Latin-script locales only: the import refuses a name without a Latin letter.
  const others = ["it", "es", "pt_PT", "de", "pl", "nl", "en", "vi", "tr", "ro"];
  const latin = (n: string) => /^[\p{Script=Latin}' -]+$/u.test(n);
  const fr = person("fr");
  return {
    frLast: names(fr.last_name).filter(latin),
    otherLast: [...new Set(others.flatMap((l) => names(person(l).last_name)))].filter(latin),
    frFirst: names(fr.first_name).filter(latin),
    otherFirst: [...new Set(others.flatMap((l) => names(person(l).first_name)))].filter(latin),
  };
}

function generatePeople(lists: Lists, count: number, uais: readonly string[]): BenchPerson[] {
  const random = prng(20260916);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const people: BenchPerson[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    const nom =
      r < 0.35
        ? pick(lists.frLast)
        : r < 0.9
          ? pick(lists.otherLast)
          : `${pick(lists.frLast)}-${pick(lists.otherLast)}`;
    const f = random();
    const prenom =
      f < 0.75
        ? pick(lists.frFirst)
        : f < 0.9
          ? pick(lists.otherFirst)
          : `${pick(["Jean", "Marie", "Anne", "Pierre"])}-${pick(lists.frFirst)}`;
    people.push({
      numen: numen(1_000_000 + i * 7919),
      nom,
      prenom,
      uai: pick(uais),
      departed: i >= ESTABLISHMENTS && random() < DEPARTED_SHARE,
    });
  }
  return people;
}

function staffCsv(people: readonly BenchPerson[]): string {
  const random = prng(7);
  const lines = people.map((p, i) => {
    const day = 1 + Math.floor(random() * 28);
    const month = 1 + Math.floor(random() * 12);
    const year = 1960 + Math.floor(random() * 42);
    const date = `${String(day).padStart(2, "0")}/${String(month).padStart(2, "0")}/${year}`;
    return [p.numen, i % 2 ? "M." : "Mme", p.nom, p.prenom, date, i % 5 ? "enseignant" : "administratif", p.uai].join(
      ";",
    );
  });
  return `numen;civilite;nom;prenom;date_naissance;categorie;uai\n${lines.join("\n")}\n`;
}

/**
 * Fills the directory through the real imports: staff, establishments (their heads are the first
 * people), then a full import without the departed ones (forced past the departure guard).
 */
export async function seedDirectory(services: Services, count: number = PEOPLE): Promise<BenchPerson[]> {
  const uais = Array.from({ length: ESTABLISHMENTS }, (_, i) => {
    const digits = `069${String(i * 23 + 101).padStart(4, "0")}`;
    return `${digits}${uaiKey(digits)}`;
  });
  const people = generatePeople(await nameLists(), count, uais);
  const dir = mkdtempSync(path.join(tmpdir(), "sesame-bench-console-"));
  try {
    const all = path.join(dir, "staff.csv");
    writeFileSync(all, staffCsv(people));
    let start = performance.now();
    const first = await services.staffImport.importFile(all, {
      actor: "bench",
      onProgress: (read, total) => {
        if (read === total || Math.random() < 0.01) progress(`HR import: ${Math.round((read / total) * 100)} %`);
      },
    });
    if (!first.applied || first.rejected.length > 0) {
      throw new Error(`HR import refused: ${JSON.stringify({ ...first, rejected: first.rejected.slice(0, 3) })}`);
    }
    console.log(
      `HR import: ${first.created.toLocaleString("en")} people in ${round((performance.now() - start) / 1000)} s`,
    );
    const estCsv = path.join(dir, "establishments.csv");
    const estLines = uais.map((uai, i) => `${uai};Collège ${people[i]?.nom ?? ""};${people[i]?.numen ?? ""}`);
    writeFileSync(estCsv, `uai;libelle;numen_chef\n${estLines.join("\n")}\n`);
    const est = await services.directory.importEstablishments(estCsv, { actor: "bench" });
    if (!est.applied || est.rejected.length > 0) throw new Error("establishments import refused");
    const kept = path.join(dir, "staff-kept.csv");
    writeFileSync(
      kept,
      staffCsv(people)
        .split("\n")
        .filter((_, i) => i === 0 || !people[i - 1]?.departed)
        .join("\n"),
    );
    start = performance.now();
    const full = await services.staffImport.importFile(kept, { actor: "bench", full: true, force: true });
    console.log(
      `full HR import without ${full.departed.toLocaleString("en")} people (departed) in ${round((performance.now() - start) / 1000)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (services.database.dialect === "postgres") {
    // What autovacuum does within a minute of a bulk load: without statistics the planner takes the
    // fresh tables for empty, and scans them (the steady state is measured, not that minute).
    await sql`analyze`.execute(services.database.db);
  }
  return people;
}

// ------------------------------------------------------------------------------------ the queries

/** A query, what it is, and how to tell that it found what the helpdesk looked for. */
interface Query {
  readonly kind: string;
  readonly text: string;
  readonly found: (hits: readonly PersonHit[]) => boolean;
}

function fold(s: string): string {
  return s.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
}

/** One mistake as heard on the phone: a letter swapped for one that sounds alike, two letters swapped, a letter dropped or doubled. */
function misspell(name: string, random: () => number): string {
  const s = fold(name);
  const sounds: Array<[RegExp, string]> = [
    [/t$/, "d"],
    [/d$/, "t"],
    [/ph/, "f"],
    [/qu/, "k"],
    [/c(?=[aou])/, "k"],
    [/y/, "i"],
    [/ll/, "l"],
    [/tt/, "t"],
    [/nn/, "n"],
    [/ss/, "s"],
    [/s/, "z"],
    [/ai/, "e"],
    [/au/, "o"],
    [/an/, "en"],
  ];
  const options = sounds.filter(([re]) => re.test(s));
  const choice = random();
  if (options.length > 0 && choice < 0.5) {
    const [re, by] = options[Math.floor(random() * options.length)] as [RegExp, string];
    return s.replace(re, by);
  }
  const i = 1 + Math.floor(random() * Math.max(1, s.length - 3));
  if (choice < 0.75 && s.length > 4) return `${s.slice(0, i)}${s[i + 1]}${s[i]}${s.slice(i + 2)}`;
  if (choice < 0.9 && s.length > 5) return `${s.slice(0, i)}${s.slice(i + 1)}`;
  return `${s.slice(0, i)}${s[i]}${s.slice(i)}`;
}

/** ~`count` queries of every kind, on people drawn at random (with their academic account). */
async function buildQueries(services: Services, people: readonly BenchPerson[], count: number): Promise<Query[]> {
  const random = prng(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const holds = (username: string) => (hits: readonly PersonHit[]) =>
    hits.some((h) => h.accounts.some((a) => a.username === username));
  const kinds = [
    "full name",
    "NOM prénom",
    "nom initial",
    "misspelt name",
    "misspelt nom",
    "nom beginning",
    "username",
    "address",
    "address beginning",
    "UAI",
    "NUMEN",
  ];
  const queries: Query[] = [];
  for (let i = 0; queries.length < count - 4; i++) {
    const person = pick(people);
    const account = await services.directory.findAccount(person.numen);
    if (!account) throw new Error(`no account for ${person.numen}`);
    const found = holds(account.username);
    const first = person.prenom.split(/[ -]/)[0] ?? "";
    const kind = kinds[i % kinds.length] as string;
    const text = {
      "full name": `${person.prenom} ${person.nom}`,
      "NOM prénom": `${person.nom.toUpperCase()} ${person.prenom}`,
      "nom initial": `${fold(person.nom)} ${fold(first).charAt(0)}`,
      "misspelt name": `${fold(first)} ${misspell(person.nom, random)}`,
      "misspelt nom": misspell(person.nom, random),
      "nom beginning": fold(person.nom).slice(0, 4),
      username: account.username,
      address: account.address,
      "address beginning": account.address.slice(0, account.address.indexOf(".") + 4),
      UAI: person.uai,
      NUMEN: person.numen.toLowerCase(),
    }[kind] as string;
    const bearsName = (hits: readonly PersonHit[]) => hits.some((h) => h.nom === person.nom);
    const check =
      kind === "misspelt nom" || kind === "nom beginning"
        ? bearsName
        : kind === "UAI"
          ? (hits: readonly PersonHit[]) =>
              hits.length > 0 &&
              hits.every((h) => h.establishment?.uai === person.uai || h.accounts.some((a) => a.kind === "fonctionnel"))
          : found;
    queries.push({ kind, text, found: check });
  }
  // Bad input: a single letter, wildcards, 200 characters.
  const any = () => true;
  queries.push({ kind: "single letter", text: "m", found: (hits) => hits.length > 0 });
  queries.push({ kind: "wildcards", text: "%_%", found: (hits) => hits.length === 0 });
  queries.push({ kind: "wildcards", text: "dup%", found: any });
  queries.push({ kind: "200 characters", text: "martin ".repeat(29).slice(0, 200), found: any });
  return queries;
}

export interface Timing {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function timing(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(sorted, 50), 2),
    p95Ms: round(percentile(sorted, 95), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted.at(-1) ?? Number.NaN, 2),
  };
}

/** What a measure gets: the running server and services, and the people seeded. */
export interface BenchContext {
  readonly bench: BenchServer;
  readonly people: readonly BenchPerson[];
}

/** The person search through the service: p50/p95 over the queries, per kind too, and how often the person sought was found. */
export async function measurePeopleSearch({ bench, people }: BenchContext): Promise<Record<string, number>> {
  const { services } = bench;
  const queries = await buildQueries(services, people, QUERIES);
  for (const q of queries.slice(0, 50)) await services.directory.searchPeople(q.text);
  const times: number[] = [];
  const byKind = new Map<string, { times: number[]; found: number }>();
  for (const q of queries) {
    const start = performance.now();
    const hits = await services.directory.searchPeople(q.text);
    const ms = performance.now() - start;
    times.push(ms);
    const entry = byKind.get(q.kind) ?? { times: [], found: 0 };
    entry.times.push(ms);
    if (q.found(hits)) entry.found++;
    else if (process.env.BENCH_VERBOSE)
      progress(
        `not found: ${q.kind} ${JSON.stringify(q.text)} → ${hits
          .slice(0, 3)
          .map((h) => `${h.prenom} ${h.nom}`)
          .join(", ")}`,
      );
    byKind.set(q.kind, entry);
  }
  console.log(`person search (services.directory.searchPeople, ${queries.length} queries, 20 hits at most):`);
  for (const [kind, e] of byKind) {
    const t = timing(e.times);
    console.log(
      `  ${kind.padEnd(18)} ${String(e.times.length).padStart(3)} queries  p50 ${String(t.p50Ms).padStart(6)} ms  p95 ${String(t.p95Ms).padStart(6)} ms  max ${String(t.maxMs).padStart(6)} ms  found ${e.found}/${e.times.length}`,
    );
  }
  const all = timing(times);
  const found = [...byKind.values()].reduce((n, e) => n + e.found, 0);
  console.log(
    `  all: p50 ${all.p50Ms} ms, p95 ${all.p95Ms} ms, p99 ${all.p99Ms} ms, max ${all.maxMs} ms (target p95 ≤ ${TARGET_SEARCH_P95} ms); found what was sought: ${found}/${queries.length}`,
  );
  return {
    searchQueries: queries.length,
    searchP50Ms: all.p50Ms,
    searchP95Ms: all.p95Ms,
    searchP99Ms: all.p99Ms,
    searchFoundShare: round(found / queries.length, 3),
  };
}

/** The console's measures, in order, on the same seeded directory (the dashboard's goes here). */
/** The dashboard over 30 days of 1,000,000 audit rows (issue 16, §6). */
const TARGET_DASHBOARD_P95 = 200;

const MEASURES: ReadonlyArray<(ctx: BenchContext) => Promise<Record<string, number>>> = [
  measurePeopleSearch,
  // The administration's dashboard over 30 days of 1,000,000 audit rows, on a database of its own.
  async () => {
    console.log("dashboard: seeding 1,000,000 audit rows over 30 days…");
    const m = await measureDashboard(
      process.env.BENCH_DATABASE_URL ? { databaseUrl: process.env.BENCH_DATABASE_URL } : {},
    );
    console.log(
      `dashboard page (30 days, charts drawn): p50 ${m.dashboardP50Ms} ms, p95 ${m.dashboardP95Ms} ms (target p95 ≤ 200 ms)`,
    );
    return { dashboardP50Ms: m.dashboardP50Ms, dashboardP95Ms: m.dashboardP95Ms };
  },
];

async function main(): Promise<void> {
  const state = machineState();
  const dialect = process.env.BENCH_DATABASE_URL ? "postgres" : "sqlite";
  console.log(`console benchmark on ${dialect} — ${machineLine(state)}`);
  const bench = await startBenchServer();
  const figures: Record<string, unknown> = { dialect, people: PEOPLE, loadAvg: state.loadAvg };
  try {
    const people = await seedDirectory(bench.services, PEOPLE);
    for (const measure of MEASURES) Object.assign(figures, await measure({ bench, people }));
  } finally {
    await bench.close();
  }
  const p95 = figures.searchP95Ms as number;
  figures.searchMet = p95 <= TARGET_SEARCH_P95;
  figures.dashboardMet = (figures.dashboardP95Ms as number) <= TARGET_DASHBOARD_P95;
  console.log(JSON.stringify(figures));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
