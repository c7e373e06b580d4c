/**
 * The demo mailboxes' contents: a few hundred realistic French messages of school life — threads
 * with quoted replies, attachments generated here (PDF, CSV, iCalendar, PNG, text), an HTML
 * newsletter with an inline and a remote image, one phishing attempt and a few unicode edge cases.
 *
 * Pure and deterministic: the same people, `now`, seed and domain give the same messages, byte for
 * byte. Nothing is sent from here; the caller delivers the messages through the SMTP reception.
 */
import { deflateSync } from "node:zlib";
import { base, Faker, fr } from "@faker-js/faker";
import { addressLocalBase, firstFreeAddress } from "../directory/naming.js";

export interface DemoPerson {
  readonly name: string;
  readonly address: string;
}

export interface DemoAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
  /** Set for the images shown inside an HTML body (`<img src="cid:…">`). */
  readonly cid?: string;
}

export interface DemoMail {
  /** The sender: may be outside the académie (a parent, a publisher, the phishing sender). */
  readonly from: DemoPerson;
  /** At least one of them is among the `people` given to `demoMessages`. */
  readonly to: readonly DemoPerson[];
  readonly cc?: readonly DemoPerson[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** Whole seconds, as a Date header carries them. */
  readonly date: Date;
  /** With its angle brackets: "<…@domain>". */
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
  readonly attachments?: readonly DemoAttachment[];
}

export interface DemoMessagesOptions {
  /** The messages are dated within the `DEMO_MAIL_WINDOW_DAYS` days before it. */
  readonly now: Date;
  /** How many messages; `DEMO_MAIL_COUNT` when not given. */
  readonly count?: number;
  /** `DEMO_MAIL_SEED` when not given. */
  readonly seed?: number;
  /** The académie's mail domain, e.g. "ac-lyon.fr". */
  readonly mailDomain: string;
}

export const DEMO_MAIL_COUNT = 300;
export const DEMO_MAIL_SEED = 20261105;
export const DEMO_MAIL_WINDOW_DAYS = 60;

/**
 * The demo messages, oldest first. `people` are the demo accounts: every message has one of them
 * among its To recipients, and the first one (the account the demo user signs in with) receives a
 * good half of the messages. The special messages come first when `count` is small: a newsletter,
 * the phishing attempt, one message per attachment kind, the unicode edge cases; then threads and
 * single messages.
 */
export function demoMessages(people: readonly DemoPerson[], options: DemoMessagesOptions): DemoMail[] {
  const count = options.count ?? DEMO_MAIL_COUNT;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`demo mail count must be a non-negative integer, got ${count}`);
  }
  if (!Number.isFinite(options.now.getTime())) throw new RangeError("demo mail `now` is not a valid date");
  const domain = options.mailDomain.trim().toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) {
    throw new RangeError(`demo mail domain is not a domain name: ${JSON.stringify(options.mailDomain)}`);
  }
  const seen = new Set<string>();
  const unique = people.filter((p) => {
    const key = p.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0) throw new RangeError("demo mail needs at least one person to write to");
  return new DemoMailGenerator(unique, options.now, options.seed ?? DEMO_MAIL_SEED, domain).generate(count);
}

// ---------------------------------------------------------------------------------------------
// Dates, in Paris time and in French

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const WEEKDAYS = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"] as const;
const MONTHS = [
  "janvier",
  "février",
  "mars",
  "avril",
  "mai",
  "juin",
  "juillet",
  "août",
  "septembre",
  "octobre",
  "novembre",
  "décembre",
] as const;

const PARIS_CLOCK = new Intl.DateTimeFormat("en-US", {
  timeZone: "Europe/Paris",
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

interface WallClock {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 is Sunday. */
  readonly weekday: number;
}

function paris(date: Date): WallClock {
  const parts = new Map<string, number>();
  for (const part of PARIS_CLOCK.formatToParts(date)) {
    if (part.type !== "literal") parts.set(part.type, Number(part.value));
  }
  const get = (type: string): number => parts.get(type) ?? 0;
  const year = get("year");
  const month = get("month");
  const day = get("day");
  return {
    year,
    month,
    day,
    hour: get("hour") % 24,
    minute: get("minute"),
    second: get("second"),
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** The instant when Paris clocks show `hour:minute`, `days` calendar days after `date`'s day. */
function parisAt(date: Date, days: number, hour: number, minute = 0): Date {
  const c = paris(date);
  const wall = Date.UTC(c.year, c.month - 1, c.day + days, hour, minute);
  const shown = paris(new Date(wall));
  const offset = Date.UTC(shown.year, shown.month - 1, shown.day, shown.hour, shown.minute) - wall;
  return new Date(wall - offset);
}

/** French public holidays with a fixed date, as "month-day". */
const FIXED_HOLIDAYS = new Set(["1-1", "5-1", "5-8", "7-14", "8-15", "11-1", "11-11", "12-25"]);

/** Like `parisAt`, moved on to the next working day when it falls on a weekend or a fixed holiday. */
function schoolDayAt(date: Date, days: number, hour: number, minute = 0): Date {
  let result = parisAt(date, days, hour, minute);
  for (let i = 0; i < 4; i++) {
    const c = paris(result);
    if (c.weekday !== 0 && c.weekday !== 6 && !FIXED_HOLIDAYS.has(`${c.month}-${c.day}`)) break;
    result = parisAt(result, 1, hour, minute);
  }
  return result;
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** "jeudi 13 novembre", "lundi 1er décembre". */
function frDay(date: Date): string {
  const c = paris(date);
  return `${WEEKDAYS[c.weekday]} ${c.day === 1 ? "1er" : c.day} ${MONTHS[c.month - 1]}`;
}

/** "17 h 30", "9 h". */
function frHour(date: Date): string {
  const c = paris(date);
  return c.minute === 0 ? `${c.hour} h` : `${c.hour} h ${pad2(c.minute)}`;
}

/** "novembre 2025". */
function frMonth(date: Date): string {
  const c = paris(date);
  return `${MONTHS[c.month - 1]} ${c.year}`;
}

/** The line a French mail client puts above a quoted message. */
function quoteHeader(date: Date, name: string): string {
  const c = paris(date);
  return `Le ${frDay(date)} ${c.year} à ${pad2(c.hour)}:${pad2(c.minute)}, ${name} a écrit :`;
}

function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? ">" : line.startsWith(">") ? `>${line}` : `> ${line}`))
    .join("\n");
}

function trimester(date: Date): string {
  const month = paris(date).month;
  if (month >= 9) return "1er trimestre";
  if (month <= 3) return "2e trimestre";
  return "3e trimestre";
}

// ---------------------------------------------------------------------------------------------
// Small valid files, built here

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

type Rgb = readonly [number, number, number];

/** A truecolor PNG, one `paint` call per pixel. */
function pngImage(width: number, height: number, paint: (x: number, y: number) => Rgb): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolor
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height); // filter byte 0 (None) on each row
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      const at = y * stride + 1 + x * 3;
      raw[at] = r;
      raw[at + 1] = g;
      raw[at + 2] = b;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const inRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number): boolean =>
  x >= x0 && x < x1 && y >= y0 && y < y1;

const BLUE: Rgb = [0, 0, 145];
const RED: Rgb = [225, 0, 15];
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [58, 58, 58];

/** The académie's logo of the newsletter: the tricolour band and three lines of "text". */
function logoPng(): Buffer {
  return pngImage(96, 32, (x, y) => {
    if (x < 6) return BLUE;
    if (x >= 12 && x < 18) return RED;
    if (inRect(x, y, 26, 7, 88, 12) || inRect(x, y, 26, 15, 74, 19) || inRect(x, y, 26, 22, 64, 25)) return INK;
    return WHITE;
  });
}

/** A plan: streets, the school, the gymnasium and a red marker. */
function mapPng(): Buffer {
  return pngImage(160, 120, (x, y) => {
    if ((x - 120) ** 2 + (y - 92) ** 2 <= 36) return RED;
    if (inRect(x, y, 0, 55, 160, 65) || inRect(x, y, 70, 0, 80, 120)) return WHITE;
    if (inRect(x, y, 18, 14, 60, 46)) return [176, 132, 96];
    if (inRect(x, y, 92, 74, 150, 112)) return [96, 140, 200];
    if (inRect(x, y, 92, 10, 140, 44)) return [140, 190, 120];
    return [236, 236, 228];
  });
}

/** A screenshot of the ENT showing an error box. */
function screenshotPng(): Buffer {
  return pngImage(160, 100, (x, y) => {
    if (y < 14) return BLUE;
    if (x < 34) return [232, 232, 240];
    if (inRect(x, y, 48, 40, 150, 62)) {
      return inRect(x, y, 50, 42, 148, 60) ? [253, 226, 226] : RED;
    }
    if (y > 22 && y % 8 < 2 && x > 44 && x < 150 - ((y * 7) % 30)) return [190, 190, 190];
    return WHITE;
  });
}

/** A bar chart of the averages by class. */
function chartPng(heights: readonly number[]): Buffer {
  return pngImage(120, 80, (x, y) => {
    if (y === 72 || x === 6) return INK;
    const bar = Math.floor((x - 12) / 18);
    const height = heights[bar];
    if (x >= 12 && (x - 12) % 18 < 12 && height !== undefined && y < 72 && y >= 72 - height) {
      return bar % 2 === 0 ? BLUE : [106, 106, 244];
    }
    return WHITE;
  });
}

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
function pdfDocument(title: string, body: readonly string[]): Buffer {
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

/** Semicolon-separated, UTF-8 with a byte order mark and CRLF lines, as French spreadsheets like it. */
function csvFile(rows: readonly (readonly (string | number)[])[]): Buffer {
  const field = (value: string | number): string => {
    const text = String(value);
    return /[";\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return Buffer.from(`\uFEFF${rows.map((row) => row.map(field).join(";")).join("\r\n")}\r\n`, "utf8");
}

interface CalendarEvent {
  readonly uid: string;
  readonly stamp: Date;
  readonly start: Date;
  readonly end: Date;
  readonly summary: string;
  readonly location: string;
  readonly description: string;
  readonly organizer: DemoPerson;
  readonly attendees: readonly DemoPerson[];
}

/** An iCalendar invitation (METHOD:REQUEST), CRLF lines folded at 75 octets. */
function icsInvitation(event: CalendarEvent): Buffer {
  const stamp = (d: Date): string =>
    d
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
  const text = (value: string): string => value.replace(/[\\;,]/g, (ch) => `\\${ch}`).replace(/\n/g, "\\n");
  const cn = (p: DemoPerson): string => `CN="${p.name.replace(/"/g, "'")}"`;
  const fold = (line: string): string => {
    const parts: string[] = [];
    let current = "";
    let bytes = 0;
    for (const ch of line) {
      const size = Buffer.byteLength(ch);
      if (bytes + size > (parts.length === 0 ? 75 : 74)) {
        parts.push(current);
        current = "";
        bytes = 0;
      }
      current += ch;
      bytes += size;
    }
    parts.push(current);
    return parts.join("\r\n ");
  };
  const lines = [
    "BEGIN:VCALENDAR",
    "PRODID:-//Sésame//Démo de la messagerie//FR",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    `UID:${event.uid}`,
    `DTSTAMP:${stamp(event.stamp)}`,
    `DTSTART:${stamp(event.start)}`,
    `DTEND:${stamp(event.end)}`,
    `SUMMARY:${text(event.summary)}`,
    `LOCATION:${text(event.location)}`,
    `DESCRIPTION:${text(event.description)}`,
    `ORGANIZER;${cn(event.organizer)}:mailto:${event.organizer.address}`,
    ...event.attendees.map(
      (p) => `ATTENDEE;${cn(p)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${p.address}`,
    ),
    "STATUS:CONFIRMED",
    "SEQUENCE:0",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    `DESCRIPTION:${text(event.summary)}`,
    "TRIGGER:-PT30M",
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return Buffer.from(`${lines.map(fold).join("\r\n")}\r\n`, "utf8");
}

const PDF = "application/pdf";
const CSV = "text/csv; charset=utf-8";
const ICS = "text/calendar; charset=utf-8; method=REQUEST";
const PNG = "image/png";
const TXT = "text/plain; charset=utf-8";

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );
}

// ---------------------------------------------------------------------------------------------
// The cast

type Sex = "female" | "male";

/** Someone who writes: the fields beyond `DemoPerson` only serve the text. */
interface Actor extends DemoPerson {
  /** Signature lines under the name (may be empty). */
  readonly signature: readonly string[];
  /** Given name, when known: "Bonjour Claire,". */
  readonly first: string | null;
  /** "Mme Martin", "M. Girard", or the full name when the civility is not known. */
  readonly formal: string;
  readonly sex: Sex | null;
}

interface Student {
  readonly first: string;
  readonly last: string;
  readonly sex: Sex;
  readonly name: string;
}

interface Draft {
  readonly from: Actor;
  readonly to: readonly DemoPerson[];
  readonly cc?: readonly DemoPerson[];
  readonly subject: string;
  /** The body without the signature, which `emit` appends. */
  readonly body: string;
  readonly html?: string;
  readonly attachments?: readonly DemoAttachment[];
  /** Set when the text already carries its own footer. */
  readonly noSignature?: boolean;
}

interface Turn {
  /** Index of the writer among the thread's participants. */
  readonly by: number;
  readonly body: string;
  readonly attachments?: readonly DemoAttachment[];
}

interface Thread {
  readonly participants: readonly Actor[];
  readonly subject: string;
  readonly turns: readonly Turn[];
}

const DISCIPLINES = [
  "mathématiques",
  "français",
  "histoire-géographie",
  "anglais",
  "espagnol",
  "allemand",
  "SVT",
  "physique-chimie",
  "technologie",
  "EPS",
  "arts plastiques",
  "éducation musicale",
  "SES",
  "philosophie",
] as const;

const CLASSES = ["6e A", "6e C", "5e B", "5e D", "4e A", "4e B", "3e A", "3e C", "2de 4", "1re G2", "Tle G1"] as const;

const LEVELS = ["6e", "5e", "4e", "3e", "2de"] as const;

const SCHOOL_NAMES = [
  "Cité scolaire Germaine-Tillion",
  "Cité scolaire Louise-Labé",
  "Cité scolaire Jean-Moulin",
  "Cité scolaire Lucie-Aubrac",
] as const;

const SCHOOL_TOWNS = ["Lyon 7e", "Villeurbanne", "Vénissieux", "Bron", "Caluire-et-Cuire", "Oullins-Pierre-Bénite"];

/** Where a class goes, with its preposition: "Sortie au musée…", "Sortie à l'Institut…". */
const OUTINGS = [
  "au musée des Confluences",
  "dans le Vieux-Lyon et à la basilique de Fourvière",
  "au parc de la Tête d'Or",
  "à l'Institut Lumière",
  "au théâtre des Célestins",
  "au Mémorial national de la prison de Montluc",
  "à la cité médiévale de Pérouges",
  "à la Maison de la danse",
] as const;

const TRAININGS = [
  "Différencier en classe hétérogène",
  "L'oral au cœur des apprentissages",
  "Enseigner avec le numérique : l'IA en classe",
  "Évaluer par compétences au cycle 4",
  "Gestion de classe et climat scolaire",
  "Prévention du harcèlement : le programme pHARe",
  "Premiers secours en milieu scolaire (PSC1)",
] as const;

const TRAINING_PLACES = [
  "Réseau Canopé, 47-49 rue Philippe-de-Lassalle, Lyon 4e",
  "INSPÉ de Lyon, site de la Croix-Rousse",
  "Lycée du Parc, Lyon 6e",
  "à distance (classe virtuelle, le lien vous sera envoyé la veille)",
] as const;

const ROOMS = ["B12", "B24", "C03", "A107", "B18", "C11", "A204"] as const;

const LESSON_TOPICS = [
  "la résolution de problèmes en groupes",
  "l'argumentation à l'oral",
  "l'étude d'un document patrimonial",
  "une démarche d'investigation",
  "la différenciation par les supports",
] as const;

const PARENT_PROVIDERS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr", "yahoo.fr"];

const NOTES_DE_SERVICE = [
  "le temps partiel et la disponibilité pour l'année scolaire 2026-2027",
  "le mouvement intra-académique des personnels enseignants, d'éducation et psychologues",
  "les demandes de congé de formation professionnelle 2026-2027",
  "la campagne des rendez-vous de carrière 2025-2026",
  "l'indemnité de suivi et d'accompagnement des élèves (ISAE) : part modulable",
] as const;

const NEWS = [
  {
    title: "Plan académique de formation : le second volet est ouvert",
    text: "Près de 300 nouveaux modules, dont 40 en hybride, sont proposés jusqu'au printemps. Les inscriptions individuelles se font dans l'application SOFIA.",
    path: "formation/plan-academique-de-formation",
  },
  {
    title: "« Non au harcèlement » : les établissements mobilisés",
    text: "Ambassadeurs élèves, affiches et ateliers : retour en images sur la journée nationale et les ressources du programme pHARe.",
    path: "actualites/non-au-harcelement",
  },
  {
    title: "Pix : la certification des élèves de 3e et de terminale",
    text: "La campagne de certification des compétences numériques se déroule jusqu'en mars. Un guide pas à pas est à la disposition des équipes.",
    path: "numerique/certification-pix",
  },
  {
    title: "Fête de la science : 40 projets d'élèves récompensés",
    text: "Robots, herbiers connectés et maquettes de ponts : le jury académique a distingué des projets de l'école au lycée.",
    path: "actualites/fete-de-la-science",
  },
  {
    title: "Égalité filles-garçons : appel à projets 2026",
    text: "Les établissements peuvent déposer un projet jusqu'au 31 janvier ; un accompagnement est proposé par la mission académique.",
    path: "egalite/appel-a-projets-2026",
  },
  {
    title: "Santé et bien-être des personnels : une écoute gratuite et anonyme",
    text: "Le réseau PAS propose un soutien psychologique aux personnels, 24 heures sur 24, au 0 805 500 005 (appel gratuit).",
    path: "personnels/sante-bien-etre",
  },
] as const;

const AGENDA = [
  "Conseil académique de la vie lycéenne",
  "Semaine de l'orientation",
  "Concours « Castor informatique »",
  "Journée académique des professeurs documentalistes",
  "Salon des métiers à Eurexpo",
  "Printemps des poètes",
] as const;

// ---------------------------------------------------------------------------------------------
// Randomness: one seeded faker, used in a fixed order

class Rand {
  readonly faker: Faker;

  constructor(seed: number) {
    this.faker = new Faker({ locale: [fr, base], seed });
  }

  int(min: number, max: number): number {
    return this.faker.number.int({ min, max });
  }

  chance(probability: number): boolean {
    return this.faker.number.float({ min: 0, max: 1 }) < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError("cannot pick from an empty list");
    return item;
  }

  sample<T>(items: readonly T[], count: number): T[] {
    return this.faker.helpers.arrayElements(items, Math.min(count, items.length));
  }

  shuffle<T>(items: readonly T[]): T[] {
    return this.faker.helpers.shuffle([...items]);
  }

  hex(length: number): string {
    return this.faker.string.hexadecimal({ length, casing: "lower", prefix: "" });
  }

  sex(): Sex {
    return this.chance(0.6) ? "female" : "male";
  }

  /** "12,5" — a grade on 20, by half points. */
  grade(min = 4, max = 19): string {
    return (this.int(min * 2, max * 2) / 2).toFixed(1).replace(".", ",").replace(",0", "");
  }
}

const g = (sex: Sex | null, male: string, female: string): string => (sex === "female" ? female : male);

/** "de Paul", "d'Emma": the preposition before a name or noun, elided before a vowel. */
const de = (word: string): string => (/^[aeiouyàâäéèêëîïôöûüœ]/i.test(word) ? `d'${word}` : `de ${word}`);

const ofDiscipline = (discipline: string): string => (/^[aeiouyéh]/i.test(discipline) ? "d'" : "de ") + discipline;

function titleCase(word: string): string {
  return word
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("-");
}

// ---------------------------------------------------------------------------------------------
// The generator

class DemoMailGenerator {
  readonly rand: Rand;
  private readonly now: number;
  private readonly academie: string;
  private readonly siteSlug: string;
  readonly me: Actor;
  readonly people: readonly Actor[];
  private readonly personAddresses: Set<string>;
  private readonly takenAddresses: Set<string>;
  readonly school: string;
  private readonly uai: string;
  readonly teachers: readonly Actor[];
  readonly principal: Actor;
  readonly deputy: Actor;
  readonly cpe: Actor;
  private readonly secretariat: Actor;
  private readonly bursar: Actor;
  private readonly librarian: Actor;
  private readonly nurse: Actor;
  readonly inspector: Actor;
  readonly inspectorDiscipline: string;
  readonly trainer: Actor;
  readonly germanTeacher: Actor;
  private readonly dpe: Actor;
  private readonly dec: Actor;
  private readonly dsi: Actor;
  private readonly ent: Actor;
  private readonly communication: Actor;
  private readonly sport: Actor;
  private readonly publisher: Actor;
  private readonly mails: DemoMail[] = [];
  private sequence = 0;

  constructor(
    people: readonly DemoPerson[],
    now: Date,
    seed: number,
    readonly domain: string,
  ) {
    this.rand = new Rand(seed);
    this.now = Math.floor(now.getTime() / SECOND) * SECOND;
    const label = domain.split(".")[0] ?? domain;
    const city = /^ac-(.+)$/.exec(label)?.[1];
    this.academie = city ? `académie ${/^[aeiouy]/.test(city) ? "d'" : "de "}${titleCase(city)}` : "académie";
    this.siteSlug = label.replace(/-/g, "_");
    this.takenAddresses = new Set(people.map((p) => p.address.toLowerCase()));
    this.personAddresses = new Set(people.map((p) => p.address));

    const r = this.rand;
    this.school = `${r.pick(SCHOOL_NAMES)} – ${r.pick(SCHOOL_TOWNS)}`;
    const digits = `069${String(r.int(0, 9999)).padStart(4, "0")}`;
    this.uai = `${digits}${"ABCDEFGHJKLMNPRSTUVWXYZ".charAt(Number(digits) % 23)}`;
    const rectorat = `Rectorat de l'${this.academie}`;

    this.people = people.map((p) => {
      const discipline = r.pick(DISCIPLINES);
      const tokens = p.name.trim().split(/\s+/);
      const first = tokens.length >= 2 && /\p{Ll}/u.test(tokens[0] ?? "") ? (tokens[0] ?? null) : null;
      return {
        name: p.name,
        address: p.address,
        signature: [`Professeur ${ofDiscipline(discipline)}`, this.school],
        first,
        formal: p.name,
        sex: null,
      };
    });
    const me = this.people[0];
    if (me === undefined) throw new RangeError("demo mail needs at least one person to write to");
    this.me = me;

    this.principal = this.staff(["Principal", "Principale"]);
    this.deputy = this.staff(["Principal adjoint", "Principale adjointe"]);
    this.cpe = this.staff(["Conseiller principal d'éducation", "Conseillère principale d'éducation"]);
    this.bursar = this.staff(["Adjoint gestionnaire", "Adjointe gestionnaire"]);
    this.librarian = this.staff(["Professeur documentaliste", "Professeure documentaliste"]);
    this.nurse = this.staff(["Infirmier scolaire", "Infirmière scolaire"]);
    this.inspectorDiscipline = r.pick(DISCIPLINES);
    this.inspector = this.staff(
      [
        `Inspecteur d'académie – inspecteur pédagogique régional ${ofDiscipline(this.inspectorDiscipline)}`,
        `Inspectrice d'académie – inspectrice pédagogique régionale ${ofDiscipline(this.inspectorDiscipline)}`,
      ],
      rectorat,
    );
    this.trainer = this.staff(
      ["Conseiller en formation", "Conseillère en formation"],
      "École académique de la formation continue (EAFC)",
    );
    this.teachers = Array.from({ length: 8 }, () => {
      const discipline = r.pick(DISCIPLINES);
      return this.staff([`Professeur ${ofDiscipline(discipline)}`, `Professeure ${ofDiscipline(discipline)}`]);
    });
    // Accents, an apostrophe and a compound surname, on purpose.
    this.germanTeacher = this.named("Éloïse", "N'Guessan-Lefèvre", "female", ["Professeure d'allemand", this.school]);

    const service = (name: string, local: string, signature: readonly string[]): Actor => ({
      name,
      address: `${local}@${domain}`,
      signature,
      first: null,
      formal: name,
      sex: null,
    });
    this.secretariat = service("Secrétariat de direction", `ce.${this.uai.toLowerCase()}`, [this.school]);
    this.dpe = service("Rectorat – Division des personnels enseignants", "ce.dpe", [rectorat]);
    this.dec = service("Rectorat – Division des examens et concours", "ce.dec", [rectorat]);
    this.dsi = service("Assistance informatique – DSI", "assistance", [rectorat]);
    this.ent = { ...service("ENT – Notifications", "ne-pas-repondre", []), address: `ne-pas-repondre@ent.${domain}` };
    this.communication = service(`Rectorat de l'${this.academie}`, "communication", []);
    // An emoji in a display name.
    this.sport = service("Association sportive 🏀", `as.${this.uai.toLowerCase()}`, [this.school]);
    this.publisher = {
      name: "Éditions du Préau",
      address: "enseignants@editions-du-preau.fr",
      signature: [],
      first: null,
      formal: "Éditions du Préau",
      sex: null,
    };
  }

  generate(count: number): DemoMail[] {
    const fixed: Array<() => void> = [
      () => this.newsletter(0),
      () => this.phishing(),
      () => this.single((date) => this.teamReport(date)),
      () => this.single((date) => this.commonTestGrades(date)),
      () => this.single((date) => this.parentMeetingInvitation(date, true)),
      () => this.single((date) => this.crossCountry(date)),
      () => this.single((date) => this.outingChecklist(date)),
      () => this.single((date) => this.piDay(date)),
      () => this.single((date) => this.parentWithCommaName(date)),
      () => this.single((date) => this.longSubject(date)),
    ];
    for (const make of fixed.slice(0, count)) make();
    let left = count - this.mails.length;
    for (let issue = 1; issue <= 2 && left > 0; issue++, left--) this.newsletter(issue);

    let threadBudget = Math.round(left * 0.3);
    left -= threadBudget;
    // Every script once, in a random order, before any comes back.
    let queue = this.rand.shuffle(THREADS);
    while (threadBudget >= 2) {
      if (queue.length === 0) queue = this.rand.shuffle(THREADS);
      const script = queue.shift();
      if (script === undefined) break;
      const turns = Math.min(this.rand.int(2, script.turns), threadBudget);
      this.thread(script.build, turns);
      threadBudget -= turns;
    }
    left += threadBudget;

    const total = SINGLES.reduce((sum, s) => sum + s.weight, 0);
    for (; left > 0; left--) {
      const roll = this.rand.int(1, total);
      let chosen = SINGLES[0];
      let cumulated = 0;
      for (const candidate of SINGLES) {
        cumulated += candidate.weight;
        if (roll <= cumulated) {
          chosen = candidate;
          break;
        }
      }
      if (chosen === undefined) break;
      const make = chosen.make;
      const attach = this.rand.chance(0.2);
      this.single((date) => make(this, date, attach));
    }
    return this.mails.sort((a, b) => a.date.getTime() - b.date.getTime());
  }

  // --- cast -----------------------------------------------------------------------------------

  private named(first: string, last: string, sex: Sex, signature: readonly string[]): Actor {
    const local = addressLocalBase(first, last) ?? `agent.${this.rand.hex(6)}`;
    const address = firstFreeAddress(local, this.domain, (a) => this.takenAddresses.has(a));
    this.takenAddresses.add(address);
    return {
      name: `${first} ${last}`,
      address,
      signature,
      first,
      formal: `${sex === "female" ? "Mme" : "M."} ${last}`,
      sex,
    };
  }

  private staff(titles: readonly [string, string], org = this.school): Actor {
    const sex = this.rand.sex();
    const first = this.rand.faker.person.firstName(sex);
    const last = this.lastName();
    return this.named(first, last, sex, [sex === "female" ? titles[1] : titles[0], org]);
  }

  /** A surname, capitalised: faker has a few like "Le roux". */
  private lastName(): string {
    return this.rand.faker.person
      .lastName()
      .split(" ")
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join(" ");
  }

  student(): Student {
    const sex = this.rand.sex();
    const first = this.rand.faker.person.firstName(sex);
    const last = this.lastName();
    return { first, last, sex, name: `${first} ${last}` };
  }

  parentOf(child: Student, sex = this.rand.sex()): Actor {
    const first = this.rand.faker.person.firstName(sex);
    const last = this.rand.chance(0.8) ? child.last : this.lastName();
    const local = addressLocalBase(first, last) ?? "parent";
    const suffix = this.rand.chance(0.4) ? String(this.rand.int(1, 99)) : "";
    return {
      name: `${first} ${last}`,
      address: `${local}${suffix}@${this.rand.pick(PARENT_PROVIDERS)}`,
      signature: [],
      first,
      formal: `${sex === "female" ? "Mme" : "M."} ${last}`,
      sex,
    };
  }

  /** A recipient among the people; the first one more than half of the time. */
  recipient(): Actor {
    return this.rand.chance(0.55) ? this.me : this.rand.pick(this.people);
  }

  /** Another demo person than `than`, when there is one. */
  otherPerson(than: DemoPerson): Actor | undefined {
    const others = this.people.filter((p) => p.address !== than.address);
    return others.length === 0 ? undefined : this.rand.pick(others);
  }

  /** A colleague writing to `to`: another demo person or a generated teacher. */
  colleague(to: DemoPerson): Actor {
    const other = this.rand.chance(0.5) ? this.otherPerson(to) : undefined;
    return other ?? this.rand.pick(this.teachers);
  }

  /** The recipients of a message to several people, `first` among them. */
  private some(first: Actor, max: number): Actor[] {
    const others = this.rand.sample(
      this.people.filter((p) => p.address !== first.address),
      this.rand.int(0, max - 1),
    );
    return [first, ...others];
  }

  private maybeCc(to: readonly DemoPerson[], from: DemoPerson): Actor[] | undefined {
    if (!this.rand.chance(0.2)) return undefined;
    const exclude = new Set([from.address, ...to.map((p) => p.address)]);
    const candidates = this.people.filter((p) => !exclude.has(p.address));
    return candidates.length === 0 ? undefined : [this.rand.pick(candidates)];
  }

  later(date: Date, min: number, max: number, hour: number, minute = 0): Date {
    return schoolDayAt(date, this.rand.int(min, max), hour, minute);
  }

  // --- dates and emission ---------------------------------------------------------------------

  /** A moment in the window, mostly on school days and in the daytime. */
  private randomDate(minDaysAgo = 0, maxDaysAgo = DEMO_MAIL_WINDOW_DAYS): Date {
    for (let attempt = 0; ; attempt++) {
      const secondsAgo = this.rand.int(minDaysAgo * 86_400 + 60, maxDaysAgo * 86_400 - 60);
      const date = new Date(this.now - secondsAgo * SECOND);
      if (attempt >= 30) return date;
      const c = paris(date);
      if (c.hour < 7 || c.hour >= 22) continue;
      if ((c.weekday === 0 || c.weekday === 6) && this.rand.chance(0.75)) continue;
      return date;
    }
  }

  private messageId(date: Date, from: DemoPerson): string {
    this.sequence += 1;
    const host = from.address.split("@")[1] ?? this.domain;
    return `<${date.getTime().toString(36)}.${this.sequence.toString(36)}.${this.rand.hex(12)}@${host}>`;
  }

  private text(draft: Draft): string {
    if (draft.noSignature) return draft.body;
    return `${draft.body}\n\n-- \n${[draft.from.name, ...draft.from.signature].join("\n")}`;
  }

  private emit(draft: Draft, date: Date, parent?: DemoMail): DemoMail {
    const person = (p: DemoPerson): DemoPerson => ({ name: p.name, address: p.address });
    const mail: DemoMail = {
      from: person(draft.from),
      to: draft.to.map(person),
      ...(draft.cc && draft.cc.length > 0 ? { cc: draft.cc.map(person) } : {}),
      subject: draft.subject,
      text: parent
        ? `${this.text(draft)}\n\n${quoteHeader(parent.date, parent.from.name)}\n${quote(parent.text)}`
        : this.text(draft),
      ...(draft.html ? { html: draft.html } : {}),
      date,
      messageId: this.messageId(date, draft.from),
      ...(parent ? { inReplyTo: parent.messageId, references: [...(parent.references ?? []), parent.messageId] } : {}),
      ...(draft.attachments && draft.attachments.length > 0 ? { attachments: draft.attachments } : {}),
    };
    this.mails.push(mail);
    return mail;
  }

  /** One message dated at random, its content written for that date. */
  private single(make: (date: Date) => Draft): void {
    const date = this.randomDate();
    this.emit(make(date), date);
  }

  private thread(build: (gen: DemoMailGenerator, start: Date) => Thread, turns: number): void {
    // Threads start a week or more ago: five replies a day apart at most still end before now.
    let date = this.randomDate(7);
    const t = build(this, date);
    let parent: DemoMail | undefined;
    let parentFrom: Actor | undefined;
    for (const turn of t.turns.slice(0, turns)) {
      const from = t.participants[turn.by];
      if (from === undefined) throw new RangeError(`thread turn by unknown participant ${turn.by}`);
      const addressee =
        parentFrom && parentFrom.address !== from.address
          ? parentFrom
          : (t.participants.find((p, i) => i > 0 && p.address !== from.address) ??
            t.participants.find((p) => p.address !== from.address) ??
            this.me);
      const to = [addressee];
      let cc = t.participants.filter((p) => p.address !== from.address && p.address !== addressee.address);
      if (!this.personAddresses.has(addressee.address)) {
        // A reply to someone outside the demo accounts (a parent, the inspector): it reaches the
        // demo people through a colleague in copy, put in To as a "reply all" does; with only one
        // demo person, that person writing keeps a copy to themself.
        const copied = cc.find((p) => this.personAddresses.has(p.address));
        if (copied) cc = cc.filter((p) => p !== copied);
        to.push(copied ?? (from.address === this.me.address ? (this.otherPerson(from) ?? this.me) : this.me));
      }
      const draft: Draft = {
        from,
        to,
        cc,
        subject: parent ? `RE: ${t.subject}` : t.subject,
        body: turn.body,
        ...(turn.attachments ? { attachments: turn.attachments } : {}),
      };
      parent = this.emit(draft, date, parent);
      parentFrom = from;
      // The next reply: minutes to a day later, at night moved on to the next morning. Five of them
      // take under 155 hours, so a thread started a week ago ends before now.
      date = new Date(date.getTime() + this.rand.int(12 * 60, 20 * 3600) * SECOND);
      const hour = paris(date).hour;
      if (hour < 7 || hour >= 22) {
        date = parisAt(date, hour < 7 ? 0 : 1, this.rand.int(7, 9), this.rand.int(0, 59));
        date = new Date(date.getTime() + this.rand.int(0, 59) * SECOND);
      }
    }
  }

  // --- the special messages -------------------------------------------------------------------

  private newsletter(issue: number): void {
    const r = this.rand;
    const daysAgo = [52, 31, 10][issue] ?? 10;
    const date = schoolDayAt(new Date(this.now - daysAgo * DAY), 0, 9, r.int(0, 45));
    const number = 40 + issue;
    const site = `https://www.${this.domain}`;
    const cid = `logo-academie-${number}@${this.domain}`;
    const news = r.sample(NEWS, 3);
    const agenda = r.sample(AGENDA, 3).map((title, i) => ({ title, date: this.later(date, 8 + i * 9, 12 + i * 9, 9) }));
    const subject = `Lettre d'information de l'${this.academie} – n° ${number} – ${frMonth(date)}`;
    const cell = "padding:8px 12px;border-bottom:1px solid #dddddd;font-size:14px;";
    const html = `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background-color:#f2f2f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background-color:#f2f2f7;">
<tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="width:600px;max-width:100%;background-color:#ffffff;font-family:Marianne,Arial,Helvetica,sans-serif;color:#1e1e1e;">
<tr>
<td style="padding:16px 24px;border-bottom:4px solid #000091;"><img src="cid:${cid}" width="96" height="32" alt="Logo de l'${escapeHtml(this.academie)}" style="display:block;border:0;"></td>
<td align="right" style="padding:16px 24px;border-bottom:4px solid #000091;font-size:13px;color:#000091;"><strong>Lettre d'information</strong><br>n° ${number} – ${escapeHtml(frMonth(date))}</td>
</tr>
<tr><td colspan="2"><img src="${site}/sites/${this.siteSlug}/files/lettre-information/bandeau-${number}.jpg" width="600" alt="Bandeau de la lettre d'information" style="display:block;width:100%;height:auto;border:0;"></td></tr>
<tr><td colspan="2" style="padding:24px 24px 8px;"><h1 style="margin:0;font-size:22px;color:#000091;">À la une</h1></td></tr>
${news
  .map(
    (n) => `<tr><td colspan="2" style="padding:8px 24px 16px;">
<h2 style="margin:0 0 6px;font-size:17px;color:#161616;">${escapeHtml(n.title)}</h2>
<p style="margin:0 0 6px;font-size:14px;line-height:1.5;">${escapeHtml(n.text)}</p>
<a href="${site}/${n.path}" style="color:#000091;font-size:14px;">Lire la suite&nbsp;›</a>
</td></tr>`,
  )
  .join("\n")}
<tr><td colspan="2" style="padding:16px 24px 8px;"><h1 style="margin:0;font-size:20px;color:#000091;">Agenda</h1></td></tr>
<tr><td colspan="2" style="padding:0 24px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;border:1px solid #dddddd;">
<tr style="background-color:#e3e3fd;"><th align="left" style="${cell}">Date</th><th align="left" style="${cell}">Événement</th></tr>
${agenda.map((a) => `<tr><td style="${cell}white-space:nowrap;">${escapeHtml(frDay(a.date))}</td><td style="${cell}">${escapeHtml(a.title)}</td></tr>`).join("\n")}
</table>
</td></tr>
<tr><td colspan="2" style="padding:16px 24px;background-color:#000091;color:#ffffff;font-size:12px;line-height:1.5;">
Vous recevez cette lettre en tant que personnel de l'${escapeHtml(this.academie)}.<br>
<a href="${site}/lettre-information" style="color:#ffffff;">Consulter en ligne</a> · <a href="https://www.education.gouv.fr/" style="color:#ffffff;">education.gouv.fr</a> · <a href="${site}/lettre-information/desabonnement" style="color:#ffffff;">Se désabonner</a>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
    const body = [
      `LETTRE D'INFORMATION DE L'${this.academie.toUpperCase()} – n° ${number} – ${frMonth(date)}`,
      "",
      "À LA UNE",
      "",
      ...news.flatMap((n) => [n.title, n.text, `Lire la suite : ${site}/${n.path}`, ""]),
      "AGENDA",
      "",
      ...agenda.map((a) => `- ${frDay(a.date)} : ${a.title}`),
      "",
      `Vous recevez cette lettre en tant que personnel de l'${this.academie}.`,
      `Se désabonner : ${site}/lettre-information/desabonnement`,
    ].join("\n");
    this.emit(
      {
        from: this.communication,
        to: this.people.slice(0, 25),
        subject,
        body,
        html,
        noSignature: true,
        attachments: [{ filename: "logo-academie.png", contentType: PNG, content: logoPng(), cid }],
      },
      date,
    );
  }

  private phishing(): void {
    const label = this.domain.split(".")[0] ?? "academie";
    const from: Actor = {
      name: "Service informatique",
      address: `support@${label}-securite.com`,
      signature: [],
      first: null,
      formal: "Service informatique",
      sex: null,
    };
    const trap = `http://${label}-securite.com/owa/verification.php?u=${this.rand.hex(16)}`;
    const shown = `https://messagerie.${this.domain}/verification`;
    const body = [
      "Cher utilisateur,",
      "",
      "Nous avons détecté une activité inhabituelle sur votre compte de messagerie et votre boîte mail a dépassé sa limite de stockage (99,8 %).",
      "",
      "Votre boîte mail sera désactivée dans les 24 heures et tous vos messages seront définitivement supprimés.",
      "",
      "Pour éviter la désactivation, veuillez valider votre compte immédiatement en cliquant le lien ci-dessous et en entrant votre identifiant et votre mot de passe :",
      "",
      trap,
      "",
      "Merci de votre compréhension.",
      "",
      `Service informatique de l'${this.academie}`,
      `© ${paris(new Date(this.now)).year} Tous droits réservés.`,
    ].join("\n");
    const html = `<div style="font-family:Arial,sans-serif;font-size:14px;">
<p><b>Cher utilisateur,</b></p>
<p>Nous avons détecté une activité inhabituelle sur votre compte de messagerie et votre boîte mail a dépassé sa limite de stockage (<b style="color:#d00000;">99,8 %</b>).</p>
<p style="color:#d00000;"><b>Votre boîte mail sera désactivée dans les 24 heures</b> et tous vos messages seront définitivement supprimés.</p>
<p>Pour éviter la désactivation, veuillez valider votre compte immédiatement en cliquant le lien ci-dessous et en entrant votre identifiant et votre mot de passe :</p>
<p><a href="${trap}" style="display:inline-block;padding:10px 18px;background-color:#0078d4;color:#ffffff;text-decoration:none;">${shown}</a></p>
<p>Merci de votre compréhension.</p>
<p style="font-size:11px;color:#777777;">Service informatique de l'${escapeHtml(this.academie)}<br>© ${paris(new Date(this.now)).year} Tous droits réservés.</p>
</div>`;
    this.emit(
      {
        from,
        to: [this.me],
        subject: "URGENT : Votre boîte mail sera désactivée dans 24 heures",
        body,
        html,
        noSignature: true,
      },
      this.randomDate(0, 20),
    );
  }

  // --- single messages ------------------------------------------------------------------------

  teamReport(date: Date): Draft {
    const to = this.recipient();
    const from = this.colleague(to);
    const level = this.rand.pick(LEVELS);
    let meeting = parisAt(date, -this.rand.int(1, 3), 12, 30);
    while ([0, 6].includes(paris(meeting).weekday)) meeting = parisAt(meeting, -1, 12, 30);
    const pdf = pdfDocument(`Compte-rendu de la réunion de l'équipe pédagogique de ${level}`, [
      `Réunion du ${frDay(meeting)} ${paris(meeting).year}, de 12 h 30 à 13 h 30, en salle ${this.rand.pick(ROOMS)}.`,
      `Présents : ${from.name}, ${to.name}, ${this.cpe.formal} (CPE), ${this.teachers
        .slice(0, 3)
        .map((t) => t.formal)
        .join(", ")}.`,
      "",
      "1. Bilan de la mi-trimestre",
      `Le niveau ${level} est globalement sérieux. Trois élèves sont signalés pour des absences répétées ; la CPE contactera les familles.`,
      "",
      "2. Projet interdisciplinaire",
      "Le projet « Lyon au fil de l'eau » (histoire-géographie, SVT, français) démarrera après les vacances. Chaque discipline propose une séance d'ici la fin du mois.",
      "",
      "3. Devoir commun",
      "Le devoir commun de mathématiques et de français aura lieu la semaine prochaine ; barème et grille de correction seront partagés sur l'ENT.",
      "",
      "4. Questions diverses",
      "Demande de réparation du vidéoprojecteur de la salle B24 (ticket déposé). Prochaine réunion dans quatre semaines.",
      "",
      `Compte-rendu rédigé par ${from.name}.`,
    ]);
    return {
      from,
      to: [to],
      cc: this.maybeCc([to], from),
      subject: `Compte-rendu de la réunion d'équipe du ${frDay(meeting)}`,
      body: `${to.first ? `Bonjour ${to.first},` : "Bonjour,"}\n\nTu trouveras ci-joint le compte-rendu de notre réunion d'équipe de ${level}. N'hésite pas à me dire si j'ai oublié quelque chose avant que je le transmette à la direction.\n\nBonne journée,`,
      attachments: [{ filename: "Compte-rendu réunion.pdf", contentType: PDF, content: pdf }],
    };
  }

  commonTestGrades(_date: Date): Draft {
    const to = this.recipient();
    const from = this.colleague(to);
    const klass = this.rand.pick(CLASSES);
    const rows: (string | number)[][] = [["Nom", "Prénom", "Classe", "Note /20", "Appréciation"]];
    for (let i = 0; i < 24; i++) {
      const s = this.student();
      if (this.rand.chance(0.06)) {
        rows.push([s.last.toUpperCase(), s.first, klass, "ABS", "Absence, devoir à rattraper"]);
        continue;
      }
      const grade = this.rand.grade(3, 20);
      const value = Number(grade.replace(",", "."));
      const remark =
        value >= 16
          ? "Très bon travail"
          : value >= 12
            ? this.rand.pick(["Bon travail", "Bonne méthode", "Des progrès"])
            : value >= 8
              ? this.rand.pick(["Ensemble fragile", "Travail trop rapide", "Des efforts à poursuivre"])
              : "Des difficultés : venir au soutien";
      rows.push([s.last.toUpperCase(), s.first, klass, grade, remark]);
    }
    return {
      from,
      to: [to],
      subject: `Devoir commun ${klass.split(" ")[0]} – notes de la ${klass}`,
      body: `Bonjour,\n\nVoici les notes du devoir commun pour la ${klass}, au format tableur (séparateur point-virgule). La moyenne de la classe est de ${this.rand.grade(9, 13)} ; on en discute à la prochaine réunion d'équipe pour harmoniser le barème.\n\nBonne soirée,`,
      attachments: [{ filename: `Notes devoir commun – ${klass}.csv`, contentType: CSV, content: csvFile(rows) }],
    };
  }

  parentMeetingInvitation(date: Date, attach: boolean): Draft {
    const to = this.some(this.recipient(), 4);
    const level = this.rand.pick(LEVELS);
    const start = this.later(date, 10, 20, 16, 30);
    const end = new Date(start.getTime() + 3.5 * HOUR);
    const place = `Salle polyvalente, ${this.school}`;
    return {
      from: this.principal,
      to,
      subject: `Réunion parents-professeurs des classes de ${level} – ${frDay(start)}`,
      body: `Mesdames, Messieurs,\n\nLa rencontre parents-professeurs des classes de ${level} aura lieu le ${frDay(start)} de ${frHour(start)} à ${frHour(end)}, en salle polyvalente. Les familles réserveront leurs créneaux de dix minutes sur l'ENT à partir de lundi.\n\nMerci de signaler au secrétariat toute indisponibilité avant la fin de la semaine. ${attach ? "L'invitation est jointe pour votre agenda." : ""}\n\nBien cordialement,`,
      ...(attach
        ? {
            attachments: [
              {
                filename: "Invitation réunion parents-professeurs.ics",
                contentType: ICS,
                content: icsInvitation({
                  uid: `${start.getTime().toString(36)}-${this.rand.hex(8)}@${this.domain}`,
                  stamp: date,
                  start,
                  end,
                  summary: `Réunion parents-professeurs – ${level}`,
                  location: place,
                  description: `Rencontre parents-professeurs des classes de ${level}.\nCréneaux de dix minutes réservés par les familles sur l'ENT.`,
                  organizer: this.principal,
                  attendees: to,
                }),
              },
            ],
          }
        : {}),
    };
  }

  crossCountry(date: Date): Draft {
    const to = this.some(this.recipient(), 3);
    const from = this.rand.pick(this.teachers);
    const day = this.later(date, 7, 15, 13, 30);
    return {
      from,
      to,
      subject: `Cross de l'établissement – ${frDay(day)}`,
      body: `Bonjour à toutes et à tous,\n\nLe cross aura lieu le ${frDay(day)} à partir de ${frHour(day)} au parc de Parilly. Nous avons besoin de collègues pour tenir les points de contrôle : le plan du parcours est en pièce jointe (point de rendez-vous marqué en rouge, près du gymnase).\n\nMerci de vous inscrire sur le tableau en salle des professeurs.\n\nSportivement,`,
      attachments: [{ filename: "Plan d'accès – parcours du cross.png", contentType: PNG, content: mapPng() }],
    };
  }

  outingChecklist(date: Date): Draft {
    const to = this.recipient();
    const from = this.colleague(to);
    const place = this.rand.pick(OUTINGS);
    const klass = this.rand.pick(CLASSES);
    const day = this.later(date, 8, 20, 8, 15);
    const list = [
      `Sortie ${place} – ${klass}`,
      `${frDay(day)}, départ à 8 h 15 devant l'établissement, retour vers 16 h 30`,
      "",
      "À prévoir :",
      "- un pique-nique tiré du sac et une bouteille d'eau (pas de verre) ;",
      "- des vêtements adaptés à la météo et de bonnes chaussures ;",
      "- le carnet de correspondance et un stylo ;",
      "- la carte Pass'Région (ou la carte de bus) ;",
      "- l'autorisation parentale signée, à rendre au plus tard une semaine avant.",
      "",
      "Téléphones portables : autorisés dans le car, rangés pendant les visites.",
      "",
      `Contact le jour de la sortie : ${from.name}, via le secrétariat.`,
      "",
    ].join("\n");
    return {
      from,
      to: [to],
      cc: this.maybeCc([to], from),
      subject: `Sortie ${place} : liste du matériel`,
      body: `Bonjour,\n\nComme convenu, voici la liste du matériel pour la sortie de la ${klass}. Peux-tu la coller dans le cahier de textes de l'ENT pour que les familles l'aient aussi ?\n\nMerci !`,
      attachments: [
        { filename: "Liste du matériel – sortie scolaire.txt", contentType: TXT, content: Buffer.from(list, "utf8") },
      ],
    };
  }

  piDay(_date: Date): Draft {
    const to = this.some(this.recipient(), 3);
    const from = this.rand.pick(this.teachers);
    // Narrow no-break spaces before the high punctuation, as French typography wants.
    const nb = "\u202f";
    return {
      from,
      to,
      subject: `Journée π${nb}: défis mathématiques 🥧 et « Castor informatique »`,
      body: `Bonjour à toutes et à tous${nb}!\n\nCette année encore, nous fêterons le 14 mars (3/14) la journée π${nb}: énigmes dans le hall, concours de décimales (le record de l'établissement est de 212 décimales — qui dit mieux${nb}?) et dégustation de tartes 🥧.\n\nLes formules du jour${nb}: π ≈ 3,14159… ; e^(iπ) + 1 = 0 ; ∑ 1/n² = π²/6.\n\nToutes les disciplines sont les bienvenues${nb}: un poème, une affiche, une expérience… 👩‍🏫👨‍🔬\n\nMerci de me dire avant vendredi si vous souhaitez participer${nb}!`,
    };
  }

  parentWithCommaName(date: Date): Draft {
    const to = this.recipient();
    const child = this.student();
    const parent = this.parentOf(child, "female");
    const klass = this.rand.pick(CLASSES);
    // An Outlook-style "Nom, Prénom" display name (quoted in the header) and a right-to-left closing.
    const from: Actor = { ...parent, name: `${child.last}, ${parent.first ?? ""}`.trim() };
    const back = this.later(date, 1, 3, 8);
    return {
      from,
      to: [to],
      subject: `Absence ${de(child.first)} ${child.last} (${klass})`,
      body: `Bonjour,\n\n${g(child.sex, "Mon fils", "Ma fille")} ${child.first}, en ${klass}, sera ${g(child.sex, "absent", "absente")} jusqu'au ${frDay(back)} inclus pour raison médicale ; le certificat sera remis à la vie scolaire à son retour. Pourriez-vous lui indiquer le travail à rattraper ?\n\nMerci d'avance et bonne journée.\n\nمع خالص التحيات\n${parent.name}`,
      noSignature: true,
    };
  }

  longSubject(date: Date): Draft {
    const to = this.some(this.recipient(), 3);
    const deadline = this.later(date, 12, 20, 12);
    return {
      from: this.dec,
      to,
      subject:
        "Aménagements des épreuves (tiers-temps, secrétaire, salle isolée, matériel adapté) pour le DNB et les épreuves anticipées du baccalauréat : procédure et calendrier de la session 2026",
      body: `Mesdames et Messieurs les professeurs principaux,\n\nLes demandes d'aménagement des épreuves pour la session 2026 doivent être saisies par les familles avant le ${frDay(deadline)}, après avis du médecin de l'Éducation nationale. Les élèves bénéficiant d'un PAP ou d'un PPS sont concernés en priorité.\n\nNous vous remercions de relayer cette information auprès des familles de vos classes.\n\nLa division des examens et concours`,
    };
  }

  noteDeService(date: Date, attach: boolean): Draft {
    const to = this.some(this.recipient(), 4);
    const topic = this.rand.pick(NOTES_DE_SERVICE);
    const number = `${paris(date).year}-${String(this.rand.int(80, 240)).padStart(3, "0")}`;
    const deadline = this.later(date, 14, 30, 12);
    const body = `Mesdames et Messieurs les enseignants,\n\nVous trouverez ${attach ? "ci-joint" : "sur le site de l'académie"} la note de service n° ${number} relative à ${topic}.\n\nLes demandes sont à formuler dans l'application dédiée avant le ${frDay(deadline)}, 12 h, puis à transmettre par la voie hiérarchique. Aucune demande parvenue hors délai ne pourra être examinée.\n\nLa division des personnels enseignants`;
    return {
      from: this.dpe,
      to,
      subject: `Note de service n° ${number} – ${topic.charAt(0).toUpperCase()}${topic.slice(1)}`,
      body,
      ...(attach
        ? {
            attachments: [
              {
                filename: `Note de service n° ${number}.pdf`,
                contentType: PDF,
                content: pdfDocument(`Note de service n° ${number}`, [
                  `Rectorat de l'${this.academie} – Division des personnels enseignants`,
                  "",
                  `Objet : ${topic}.`,
                  "",
                  "La présente note a pour objet de préciser le calendrier et les modalités de la campagne pour l'année scolaire à venir.",
                  `Date limite de dépôt des demandes : ${frDay(deadline)} à 12 h.`,
                  "Les chefs d'établissement émettront un avis motivé sur chaque demande.",
                  "",
                  "Signé : le recteur de région académique, recteur de l'académie.",
                ]),
              },
            ],
          }
        : {}),
    };
  }

  trainingSummons(date: Date, attach: boolean): Draft {
    const to = this.recipient();
    const title = this.rand.pick(TRAININGS);
    const place = this.rand.pick(TRAINING_PLACES);
    const start = this.later(date, 9, 30, 9);
    const end = new Date(start.getTime() + 7 * HOUR);
    const module = `25A010${String(this.rand.int(1000, 9999))}`;
    return {
      from: this.trainer,
      to: [to],
      subject: `Convocation – formation « ${title} »`,
      body: `Madame, Monsieur,\n\nVous êtes convoqué(e) à la formation « ${title} » (module ${module} du plan académique de formation) le ${frDay(start)} de 9 h à 17 h.\n\nLieu : ${place}.\n\nVotre chef d'établissement en est informé. Les frais de déplacement seront remboursés sur présentation de vos justificatifs dans l'application DT-Chorus. En cas d'empêchement, merci de prévenir l'EAFC au plus tôt.\n\nCordialement,`,
      ...(attach
        ? {
            attachments: [
              {
                filename: `Convocation formation ${module}.ics`,
                contentType: ICS,
                content: icsInvitation({
                  uid: `${module}-${this.rand.hex(8)}@${this.domain}`,
                  stamp: date,
                  start,
                  end,
                  summary: `Formation « ${title} »`,
                  location: place,
                  description: `Module ${module} du plan académique de formation.`,
                  organizer: this.trainer,
                  attendees: [to],
                }),
              },
            ],
          }
        : {}),
    };
  }

  councilCalendar(date: Date, attach: boolean): Draft {
    const to = this.some(this.recipient(), 4);
    const first = this.later(date, 10, 20, 17);
    const rows: (string | number)[][] = [["Classe", "Date", "Heure", "Salle", "Professeur principal"]];
    CLASSES.forEach((klass, i) => {
      const day = schoolDayAt(first, Math.floor(i / 3), 17 + (i % 3), 0);
      rows.push([klass, frDay(day), frHour(day), this.rand.pick(ROOMS), this.rand.pick(this.teachers).name]);
    });
    return {
      from: this.deputy,
      to,
      subject: `Conseils de classe du ${trimester(date)} – calendrier`,
      body: `Bonjour à toutes et à tous,\n\nLes conseils de classe du ${trimester(date)} commenceront le ${frDay(first)}. ${attach ? "Le calendrier complet est en pièce jointe." : "Le calendrier complet est affiché en salle des professeurs."}\n\nLes moyennes et appréciations devront être saisies au plus tard 48 heures avant chaque conseil. Les délégués des élèves et des parents sont invités par le secrétariat.\n\nBien cordialement,`,
      ...(attach
        ? {
            attachments: [
              { filename: "Calendrier des conseils de classe.csv", contentType: CSV, content: csvFile(rows) },
            ],
          }
        : {}),
    };
  }

  timetableChange(date: Date): Draft {
    const to = this.recipient();
    const weekday = paris(date).weekday;
    const monday = parisAt(date, ((8 - weekday) % 7 || 7) + (this.rand.chance(0.5) ? 7 : 0), 8);
    const klass = this.rand.pick(CLASSES);
    return {
      from: this.deputy,
      to: [to],
      cc: this.maybeCc([to], this.deputy),
      subject: `Modification d'emploi du temps – semaine du ${frDay(monday)}`,
      body: `Bonjour,\n\nEn raison des épreuves du brevet blanc, votre emploi du temps est modifié la semaine du ${frDay(monday)} :\n\n- mardi : cours de 10 h avec la ${klass} déplacé à 15 h, salle ${this.rand.pick(ROOMS)} ;\n- jeudi : surveillance de 8 h à 10 h en salle polyvalente.\n\nLa modification est visible dans Pronote. Merci de votre compréhension.\n\nBien cordialement,`,
    };
  }

  replacement(date: Date): Draft {
    const to = this.some(this.recipient(), 3);
    const absent = this.rand.pick(this.teachers);
    const until = this.later(date, 5, 20, 8);
    const substitute = this.staff(["Professeur contractuel", "Professeure contractuelle"]);
    return {
      from: this.rand.chance(0.5) ? this.deputy : this.secretariat,
      to,
      subject: `Absence de ${absent.formal} – remplacement`,
      body: `Bonjour,\n\n${absent.formal} est ${g(absent.sex, "absent", "absente")} jusqu'au ${frDay(until)}. ${g(absent.sex, "Il", "Elle")} sera ${g(absent.sex, "remplacé", "remplacée")} à compter de lundi par ${substitute.name}, ${g(substitute.sex, "professeur contractuel", "professeure contractuelle")}. Merci de lui réserver un bon accueil et de lui indiquer la progression de l'équipe.\n\nEn attendant, les élèves seront accueillis en permanence.\n\nBien cordialement,`,
    };
  }

  gradesDeadline(date: Date): Draft {
    const to = this.some(this.recipient(), 4);
    const deadline = this.later(date, 3, 9, 18);
    return {
      from: this.deputy,
      to,
      subject: `Bulletins du ${trimester(date)} – clôture de la saisie le ${frDay(deadline)}`,
      body: `Bonjour,\n\nLa saisie des moyennes et des appréciations du ${trimester(date)} sera fermée le ${frDay(deadline)} à ${frHour(deadline)}. Les bulletins seront ensuite édités et mis en ligne sur l'ENT pour les familles.\n\nRappel : les appréciations doivent être personnalisées et porter sur le travail, les progrès et les conseils pour progresser.\n\nBien cordialement,`,
    };
  }

  entNotification(date: Date): Draft {
    const to = this.recipient();
    const klass = this.rand.pick(CLASSES);
    const count = this.rand.int(2, 27);
    const link = `https://ent.${this.domain}/cahier-de-textes/${this.rand.hex(8)}`;
    const subject = `[ENT] ${count} travaux rendus en ${klass}`;
    return {
      from: this.ent,
      to: [to],
      subject,
      body: `Bonjour,\n\n${count} élèves de la ${klass} ont rendu le travail « Exercices pour ${frDay(this.later(date, 1, 4, 8))} ».\n\nConsulter : ${link}\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
      html: `<table role="presentation" cellpadding="0" cellspacing="0" style="font-family:Arial,sans-serif;font-size:14px;border:1px solid #d0d0e0;">
<tr><td style="padding:10px 16px;background-color:#3a55b4;color:#ffffff;"><strong>ENT</strong> · Cahier de textes</td></tr>
<tr><td style="padding:16px;">${count} élèves de la <strong>${escapeHtml(klass)}</strong> ont rendu leur travail.<br><br><a href="${link}" style="color:#3a55b4;">Consulter les travaux rendus</a></td></tr>
<tr><td style="padding:8px 16px;font-size:11px;color:#777777;">Message automatique, merci de ne pas y répondre.</td></tr>
</table>`,
      noSignature: true,
    };
  }

  parentQuestion(date: Date): Draft {
    const to = this.recipient();
    const child = this.student();
    const parent = this.parentOf(child);
    const klass = this.rand.pick(CLASSES);
    const topics = [
      `${g(child.sex, "Mon fils", "Ma fille")} ne trouve pas l'énoncé du devoir à rendre pour ${frDay(this.later(date, 2, 5, 8))} dans le cahier de textes. Pourriez-vous me l'indiquer ?`,
      `${child.first} a oublié son manuel au collège et ne peut pas faire les exercices demandés. Est-il possible d'avoir les pages en version numérique ?`,
      `${child.first} me dit avoir été ${g(child.sex, "puni", "punie")} pour un oubli de matériel. Je souhaiterais comprendre ce qui s'est passé.`,
      `Nous partons en voyage familial pour un décès à l'étranger : ${child.first} sera ${g(child.sex, "absent", "absente")} une semaine. Que doit-${g(child.sex, "il", "elle")} rattraper ?`,
    ];
    return {
      from: parent,
      to: [to],
      subject: this.rand.pick([
        `${child.first} ${child.last} – ${klass}`,
        "Question devoir",
        `Demande ${de(parent.name)}`,
      ]),
      body: `Bonjour,\n\nJe suis ${g(parent.sex, "le père", "la mère")} ${de(child.first)} ${child.last}, en ${klass}. ${this.rand.pick(topics)}\n\nCordialement,`,
    };
  }

  publisherOffer(date: Date): Draft {
    const to = this.recipient();
    const discipline = this.rand.pick(DISCIPLINES);
    const link = `https://www.editions-du-preau.fr/specimens?discipline=${encodeURIComponent(discipline)}`;
    const body = `Bonjour,\n\nDécouvrez nos nouveaux manuels ${ofDiscipline(discipline)} pour la rentrée 2026, conformes aux programmes : version papier, manuel numérique enrichi et exercices interactifs.\n\nCommandez gratuitement votre spécimen avant le ${frDay(this.later(date, 20, 40, 12))} : ${link}\n\nL'équipe des Éditions du Préau\n\nVous recevez ce message car vous êtes enseignant. Se désinscrire : https://www.editions-du-preau.fr/desinscription`;
    const html = `<div style="font-family:Georgia,serif;max-width:560px;">
<h1 style="color:#b5471b;font-size:22px;">Nouveaux manuels ${escapeHtml(ofDiscipline(discipline))} 2026</h1>
<p>Conformes aux programmes : version papier, <strong>manuel numérique enrichi</strong> et exercices interactifs.</p>
<p><a href="${link}" style="background-color:#b5471b;color:#ffffff;padding:8px 14px;text-decoration:none;">Recevoir mon spécimen gratuit</a></p>
<p style="font-size:11px;color:#888888;">Vous recevez ce message car vous êtes enseignant. <a href="https://www.editions-du-preau.fr/desinscription">Se désinscrire</a></p>
</div>`;
    return {
      from: this.publisher,
      to: [to],
      subject: `Spécimens 2026 : vos nouveaux manuels ${ofDiscipline(discipline)}`,
      body,
      html,
      noSignature: true,
    };
  }

  attendance(_date: Date, attach: boolean): Draft {
    const to = this.recipient();
    const klass = this.rand.pick(CLASSES);
    const rows: (string | number)[][] = [["Élève", "Absences (demi-journées)", "Retards", "Justifiées"]];
    for (let i = 0; i < 6; i++) {
      const s = this.student();
      rows.push([
        `${s.last.toUpperCase()} ${s.first}`,
        this.rand.int(1, 9),
        this.rand.int(0, 6),
        this.rand.pick(["oui", "non", "en partie"]),
      ]);
    }
    return {
      from: this.cpe,
      to: [to],
      subject: `Absences et retards – ${klass}`,
      body: `Bonjour,\n\nVoici le point sur l'assiduité de la ${klass} depuis la rentrée${attach ? " (tableau joint)" : ""}. Plusieurs élèves dépassent le seuil de quatre demi-journées non justifiées : je reçois les familles cette semaine. N'hésitez pas à me faire remonter vos observations avant le conseil de classe.\n\nBien cordialement,`,
      ...(attach
        ? {
            attachments: [{ filename: `Absences et retards – ${klass}.csv`, contentType: CSV, content: csvFile(rows) }],
          }
        : {}),
    };
  }

  nurseNotice(date: Date): Draft {
    const to = this.some(this.recipient(), 3);
    const child = this.student();
    const klass = this.rand.pick(CLASSES);
    return {
      from: this.nurse,
      to,
      subject: `PAI – ${child.first} ${child.last.charAt(0)}. (${klass})`,
      body: `Bonjour,\n\nUn projet d'accueil individualisé (PAI) a été signé le ${frDay(date)} pour ${child.first} ${child.last.charAt(0)}., en ${klass} : allergie sévère à l'arachide. La trousse d'urgence (stylo d'adrénaline) est à l'infirmerie, un double au bureau de la vie scolaire.\n\nMerci d'en tenir compte lors des sorties et des goûters de classe. Le protocole est consultable à l'infirmerie ; ces informations sont confidentielles.\n\nBien cordialement,`,
    };
  }

  libraryNews(date: Date): Draft {
    const to = this.some(this.recipient(), 4);
    const start = this.later(date, 10, 25, 8);
    return {
      from: this.librarian,
      to,
      subject: this.rand.pick([
        "Semaine de la presse et des médias à l'école – inscriptions",
        "Nouveautés au CDI 📚",
        "Prix des lecteurs : les classes participantes",
      ]),
      body: `Bonjour à toutes et à tous,\n\nLe CDI vous propose des séances d'éducation aux médias et à l'information à partir du ${frDay(start)} : vérification des sources, fabrication d'une une de journal, décryptage d'images. Inscrivez vos classes sur le planning partagé de l'ENT.\n\nLes nouveaux romans et bandes dessinées sont en prêt dès maintenant.\n\nAu plaisir de vous voir au CDI,`,
    };
  }

  orders(date: Date): Draft {
    const to = this.some(this.recipient(), 4);
    const deadline = this.later(date, 7, 14, 12);
    return {
      from: this.bursar,
      to,
      subject: `Commandes de fournitures et de manuels – date limite le ${frDay(deadline)}`,
      body: `Bonjour,\n\nLes commandes des équipes disciplinaires (fournitures, petit matériel, manuels) sont à déposer au service de gestion avant le ${frDay(deadline)}, midi, avec les devis. Au-delà, elles seront reportées sur le prochain exercice budgétaire.\n\nLes crédits pédagogiques restants par discipline sont affichés en salle des professeurs.\n\nBien cordialement,`,
    };
  }

  examDuty(date: Date, attach: boolean): Draft {
    const to = this.recipient();
    const day = this.later(date, 10, 25, 8);
    const exam = this.rand.pick(["du brevet blanc", "des épreuves communes", "de l'oral de français"]);
    return {
      from: this.dec,
      to: [to],
      subject: `Convocation – surveillance ${exam}`,
      body: `Madame, Monsieur,\n\nVous êtes convoqué(e) pour la surveillance ${exam} le ${frDay(day)} de 8 h à 12 h. ${attach ? "La convocation officielle est jointe." : ""} Merci de vous présenter 15 minutes avant le début de l'épreuve au secrétariat d'examen.\n\nLa division des examens et concours`,
      noSignature: true,
      ...(attach
        ? {
            attachments: [
              {
                filename: "Convocation surveillance.pdf",
                contentType: PDF,
                content: pdfDocument("Convocation", [
                  `Rectorat de l'${this.academie} – Division des examens et concours`,
                  "",
                  `${to.name} est convoqué(e) pour la surveillance ${exam}.`,
                  `Date : ${frDay(day)} ${paris(day).year}, de 8 h à 12 h.`,
                  `Lieu : ${this.school}.`,
                  "",
                  "Présentation obligatoire 15 minutes avant le début de l'épreuve.",
                ]),
              },
            ],
          }
        : {}),
    };
  }

  maintenance(date: Date): Draft {
    const to = this.recipient();
    const day = schoolDayAt(date, this.rand.int(3, 8), 20);
    const saturday = parisAt(day, (6 - paris(day).weekday + 7) % 7, 20);
    const body = `Bonjour,\n\nUne opération de maintenance de la messagerie aura lieu le ${frDay(saturday)} de 20 h à minuit. Le webmail pourra être indisponible pendant quelques minutes.\n\nRappel : l'assistance informatique ne vous demandera jamais votre mot de passe, ni par courriel ni par téléphone. En cas de doute sur un message, signalez-le à ${this.dsi.address}.\n\nL'assistance informatique`;
    return {
      from: this.dsi,
      to: [to],
      subject: `Maintenance programmée de la messagerie – ${frDay(saturday)}`,
      body,
      html: `<div style="font-family:Arial,sans-serif;font-size:14px;"><p>Bonjour,</p><p>Une opération de maintenance de la messagerie aura lieu le <strong>${escapeHtml(frDay(saturday))} de 20 h à minuit</strong>. Le webmail pourra être indisponible pendant quelques minutes.</p><p style="padding:8px 12px;border-left:4px solid #000091;background-color:#eeeeff;">Rappel : l'assistance informatique <strong>ne vous demandera jamais votre mot de passe</strong>, ni par courriel ni par téléphone.</p><p>L'assistance informatique</p></div>`,
      noSignature: true,
    };
  }

  sportTournament(date: Date): Draft {
    const to = this.some(this.recipient(), 4);
    const day = this.later(date, 5, 12, 13, 30);
    const sport = this.rand.pick([
      ["handball", "🤾"],
      ["basket", "🏀"],
      ["badminton", "🏸"],
      ["escalade", "🧗"],
    ] as const);
    return {
      from: this.sport,
      to,
      subject: `AS – tournoi de ${sport[0]} ${frDay(day)} ${sport[1]}`,
      body: `Bonjour à tous,\n\nL'association sportive organise un tournoi de ${sport[0]} le ${frDay(day)} à partir de ${frHour(day)} au gymnase. Les élèves inscrits seront libérés à 12 h 30 ; merci de ne pas leur donner de devoir surveillé ce jour-là ${sport[1]}\n\nVenez les encourager ! 💪`,
    };
  }

  quickNote(date: Date): Draft {
    const to = this.recipient();
    const from = this.colleague(to);
    const notes = [
      [
        "Photocopieur du 1er étage",
        "Le photocopieur du 1er étage est encore en panne (bourrage papier) ; j'ai prévenu l'agent. En attendant, celui du CDI fonctionne.",
      ],
      [
        `Salle ${this.rand.pick(ROOMS)} libre jeudi ?`,
        "Est-ce que tu utilises ta salle jeudi en M3 ? J'aurais besoin du vidéoprojecteur pour un exposé.",
      ],
      [
        "Clé de la salle informatique",
        "Tu n'aurais pas gardé la clé de la salle informatique par hasard ? Elle n'est plus à la vie scolaire.",
      ],
      [
        "Valise de tablettes",
        `Je réserve la valise de tablettes pour ${frDay(this.later(date, 1, 6, 8))} matin, ça te va ?`,
      ],
      ["Copies oubliées", "Tu as oublié un paquet de copies en salle des professeurs, je l'ai mis dans ton casier."],
    ] as const;
    const [subject, text] = this.rand.pick(notes);
    return {
      from,
      to: [to],
      subject,
      body: `${to.first ? `Salut ${to.first},` : "Bonjour,"}\n\n${text}\n\nMerci !`,
    };
  }

  pedagogicalCouncil(date: Date, attach: boolean): Draft {
    const to = this.some(this.recipient(), 5);
    const day = this.later(date, 5, 14, 17, 15);
    const points = [
      "Bilan des évaluations nationales de 6e et de 2de",
      "Projet d'établissement : axe « climat scolaire »",
      "Répartition de la dotation horaire (première lecture)",
      "Organisation du stage d'observation de 3e",
    ];
    return {
      from: this.principal,
      to,
      subject: `Conseil pédagogique du ${frDay(day)} – ordre du jour`,
      body: `Mesdames, Messieurs,\n\nLe conseil pédagogique se réunira le ${frDay(day)} à ${frHour(day)} en salle de réunion. Ordre du jour :\n\n${points.map((p, i) => `${i + 1}. ${p}`).join("\n")}\n\nBien cordialement,`,
      ...(attach
        ? {
            attachments: [
              {
                filename: "Ordre du jour – conseil pédagogique.pdf",
                contentType: PDF,
                content: pdfDocument(`Conseil pédagogique du ${frDay(day)}`, [
                  this.school,
                  "",
                  "Ordre du jour",
                  ...points.map((p, i) => `${i + 1}. ${p}`),
                ]),
              },
            ],
          }
        : {}),
    };
  }

  resultsChart(date: Date, attach: boolean): Draft {
    const to = this.some(this.recipient(), 3);
    const from = this.rand.pick(this.teachers);
    const heights = Array.from({ length: 5 }, () => this.rand.int(30, 62));
    return {
      from,
      to,
      subject: `Résultats du devoir commun de ${trimester(date)}`,
      body: `Bonjour,\n\nVoici la synthèse des moyennes par classe au devoir commun${attach ? " (graphique joint)" : ""}. Les écarts restent modérés ; on pourra affiner le barème de l'exercice 3 pour la prochaine fois.\n\nBonne journée,`,
      ...(attach
        ? { attachments: [{ filename: "Moyennes par classe.png", contentType: PNG, content: chartPng(heights) }] }
        : {}),
    };
  }

  fireDrill(date: Date): Draft {
    const to = this.some(this.recipient(), 5);
    const day = this.later(date, 2, 9, 10, 15);
    return {
      from: this.principal,
      to,
      subject: `Exercice PPMS « attentat-intrusion » – ${frDay(day)}`,
      body: `Mesdames, Messieurs,\n\nUn exercice PPMS « attentat-intrusion » aura lieu le ${frDay(day)} dans la matinée (l'heure exacte ne sera pas communiquée). Merci de relire les consignes affichées dans chaque salle : s'enfermer, éteindre les lumières, s'éloigner des portes et des fenêtres, faire silence et mettre les téléphones en mode silencieux.\n\nUn retour d'expérience sera fait en conseil pédagogique.\n\nBien cordialement,`,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Single messages: weights, and whether an attachment is possible

type SingleMaker = (gen: DemoMailGenerator, date: Date, attach: boolean) => Draft;

const SINGLES: readonly { readonly weight: number; readonly make: SingleMaker }[] = [
  { weight: 6, make: (gen, date, attach) => gen.noteDeService(date, attach) },
  { weight: 6, make: (gen, date, attach) => gen.trainingSummons(date, attach) },
  { weight: 5, make: (gen, date, attach) => gen.councilCalendar(date, attach) },
  { weight: 4, make: (gen, date, attach) => gen.parentMeetingInvitation(date, attach) },
  { weight: 6, make: (gen, date) => gen.timetableChange(date) },
  { weight: 5, make: (gen, date) => gen.replacement(date) },
  { weight: 4, make: (gen, date) => gen.gradesDeadline(date) },
  { weight: 9, make: (gen, date) => gen.entNotification(date) },
  { weight: 9, make: (gen, date) => gen.parentQuestion(date) },
  { weight: 4, make: (gen, date) => gen.publisherOffer(date) },
  { weight: 5, make: (gen, date, attach) => gen.attendance(date, attach) },
  { weight: 3, make: (gen, date) => gen.nurseNotice(date) },
  { weight: 4, make: (gen, date) => gen.libraryNews(date) },
  { weight: 3, make: (gen, date) => gen.orders(date) },
  { weight: 4, make: (gen, date, attach) => gen.examDuty(date, attach) },
  { weight: 2, make: (gen, date) => gen.maintenance(date) },
  { weight: 3, make: (gen, date) => gen.sportTournament(date) },
  { weight: 9, make: (gen, date) => gen.quickNote(date) },
  { weight: 4, make: (gen, date, attach) => gen.pedagogicalCouncil(date, attach) },
  { weight: 3, make: (gen, date, attach) => gen.resultsChart(date, attach) },
  { weight: 2, make: (gen, date) => gen.fireDrill(date) },
  { weight: 2, make: (gen, date) => gen.teamReport(date) },
  { weight: 2, make: (gen, date) => gen.outingChecklist(date) },
];

// ---------------------------------------------------------------------------------------------
// Threads: who writes each turn, and what

interface ThreadScript {
  /** The most turns the script has (a thread uses 2 to this many). */
  readonly turns: number;
  readonly build: (gen: DemoMailGenerator, start: Date) => Thread;
}

const hello = (a: Actor): string => (a.first ? `Bonjour ${a.first},` : "Bonjour,");

/** The demo side of a conversation (often the first person), and a colleague of theirs. */
function pair(c: DemoMailGenerator): { mine: Actor; colleague: Actor } {
  const mine = c.rand.chance(0.65) ? c.me : c.recipient();
  const other = c.rand.chance(0.85) ? c.otherPerson(mine) : undefined;
  return { mine, colleague: other ?? c.rand.pick(c.teachers) };
}

const THREADS: readonly ThreadScript[] = [
  {
    turns: 6,
    build: (gen, start) => {
      const c = gen;
      const { mine, colleague } = pair(c);
      const place = c.rand.pick(OUTINGS);
      const klass = c.rand.pick(CLASSES);
      const day = c.later(start, 15, 30, 8, 15);
      const list = `Sortie ${place} – ${klass}\n\n- pique-nique et bouteille d'eau\n- vêtements adaptés à la météo\n- carnet de correspondance\n- autorisation parentale signée\n`;
      return {
        participants: [colleague, mine, c.deputy],
        subject: `Sortie ${place} – ${klass}`,
        turns: [
          {
            by: 0,
            body: `${hello(mine)}\n\nJe prépare la sortie de la ${klass} ${place} le ${frDay(day)}. Pourrais-tu être accompagnateur ? Il nous faut trois adultes pour 28 élèves. Départ à 8 h 15 devant l'établissement, retour vers 16 h 30. Le car est réservé, il reste à faire voter le budget au conseil d'administration.\n\nMerci !`,
          },
          {
            by: 1,
            body: `${hello(colleague)}\n\nAvec plaisir : je n'ai que deux heures de cours ce jour-là, je demande à ${c.deputy.formal} de les faire reporter. Veux-tu que je m'occupe des autorisations parentales ?`,
          },
          {
            by: 0,
            body: `Super, merci ! Oui, si tu peux récupérer les autorisations signées une semaine avant. Je te joins la liste du matériel à transmettre aux familles.`,
            attachments: [{ filename: "Liste du matériel.txt", contentType: TXT, content: Buffer.from(list, "utf8") }],
          },
          {
            by: 1,
            body: `C'est noté. J'ai déjà ${c.rand.int(15, 24)} autorisations sur 28, je relance les retardataires par l'ENT. Pique-nique tiré du sac pour tout le monde ?`,
          },
          {
            by: 2,
            body: `Bonjour,\n\nJe valide la sortie : la convention avec le transporteur est signée et le budget a été voté hier. Pour les demi-pensionnaires, la cantine peut fournir des paniers-repas s'ils sont commandés à l'intendance avant lundi.\n\nBonne sortie,`,
          },
          { by: 0, body: "Parfait, merci beaucoup ! Je transmets l'information aux familles dès ce soir." },
        ],
      };
    },
  },
  {
    turns: 5,
    build: (gen, start) => {
      const c = gen;
      const { mine, colleague } = pair(c);
      const klass = c.rand.pick(CLASSES);
      const day = c.later(start, 8, 15, 17, 30);
      const [s1, s2, s3] = [c.student(), c.student(), c.student()];
      return {
        participants: [colleague, mine, c.cpe],
        subject: `Conseil de classe de la ${klass} – ${frDay(day)}`,
        turns: [
          {
            by: 0,
            body: `Bonjour à tous,\n\nLe conseil de classe de la ${klass} aura lieu le ${frDay(day)} à ${frHour(day)}. Merci de saisir vos moyennes et appréciations dans Pronote au plus tard 48 heures avant. Points à évoquer : l'attitude de ${s1.first} ${s1.last} en classe, et des encouragements pour ${s2.first} ${s2.last}, qui a beaucoup progressé.\n\nMerci,`,
          },
          {
            by: 1,
            body: `Bonjour,\n\nMes appréciations sont saisies. Pour ${s1.first}, je confirme : bavardages constants et travail non fait depuis les vacances. Je proposerais un avertissement travail, mais j'aimerais l'avis de ${c.cpe.formal} sur son comportement en vie scolaire.`,
          },
          {
            by: 2,
            body: `Bonjour,\n\n${s1.first} a cumulé six retards et deux passages à l'infirmerie non justifiés ce trimestre. J'ai reçu la famille la semaine dernière, elle est très coopérative. Je suggère plutôt une fiche de suivi sur trois semaines avant tout avertissement.\n\nBien cordialement,`,
          },
          {
            by: 0,
            body: `Merci pour ces éléments. Je propose donc : fiche de suivi pour ${s1.first}, encouragements pour ${s2.first}, félicitations pour ${s3.first} ${s3.last} (17,4 de moyenne générale). On en reparle en conseil.`,
          },
          { by: 1, body: "D'accord avec toutes ces propositions. À jeudi !" },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (gen, start) => {
      const c = gen;
      const teacher = c.rand.chance(0.65) ? c.me : c.recipient();
      const mainTeacher = c.otherPerson(teacher) ?? c.rand.pick(c.teachers);
      const child = c.student();
      const parent = c.parentOf(child);
      const klass = c.rand.pick(CLASSES);
      const discipline = c.rand.pick(DISCIPLINES);
      const day = c.later(start, 6, 12, 17, 30);
      const dear = `${g(parent.sex, "Monsieur", "Madame")} ${parent.formal.replace(/^(Mme|M\.) /, "")}`;
      return {
        participants: [parent, teacher, mainTeacher],
        subject: `Rendez-vous au sujet ${de(child.first)} (${klass})`,
        turns: [
          {
            by: 0,
            body: `Madame, Monsieur,\n\nJe me permets de vous écrire au sujet de ${g(child.sex, "mon fils", "ma fille")} ${child.first}, en ${klass}. ${g(child.sex, "Il", "Elle")} a obtenu 6/20 au dernier contrôle ${ofDiscipline(discipline)} et semble très ${g(child.sex, "découragé", "découragée")}. Serait-il possible de vous rencontrer ?\n\nCordialement,\n${parent.name}`,
          },
          {
            by: 1,
            body: `Bonjour ${dear},\n\nMerci pour votre message. Je vous propose un rendez-vous le ${frDay(day)} à ${frHour(day)} (accueil, bâtiment A), ou un appel téléphonique si c'est plus simple pour vous. J'associe à notre échange ${mainTeacher.name}, professeur principal de la classe.\n\nBien cordialement,`,
          },
          {
            by: 0,
            body: `Bonjour,\n\nLe ${frDay(day)} me convient très bien, je viendrai avec ${g(parent.sex, "sa mère", "son père")}. Merci beaucoup pour votre réactivité.\n\nCordialement,\n${parent.name}`,
          },
          { by: 1, body: `Parfait, c'est noté. À ${frDay(day)}.\n\nBien cordialement,` },
        ],
      };
    },
  },
  {
    turns: 3,
    build: (gen, start) => {
      const c = gen;
      const teacher = c.rand.chance(0.6) ? c.me : c.recipient();
      const absent = c.rand.pick(c.teachers);
      const klass = c.rand.pick(CLASSES);
      const until = c.later(start, 10, 20, 8);
      return {
        participants: [c.deputy, teacher],
        subject: `Heures supplémentaires en ${klass}`,
        turns: [
          {
            by: 0,
            body: `Bonjour,\n\n${absent.formal} est ${g(absent.sex, "absent", "absente")} jusqu'au ${frDay(until)}. Pourriez-vous assurer deux heures supplémentaires en ${klass}, le mardi de 10 h à 11 h et le jeudi de 14 h à 15 h ? Le cahier de textes est à jour.\n\nBien cordialement,`,
          },
          {
            by: 1,
            body: "Bonjour,\n\nJe peux prendre le créneau du mardi, mais le jeudi je suis en réunion d'équipe disciplinaire. Serait-il possible de le décaler au vendredi de 8 h à 9 h ?",
          },
          {
            by: 0,
            body: "Merci beaucoup. Je modifie l'emploi du temps : mardi 10 h – 11 h et vendredi 8 h – 9 h, en salle B12. La modification sera visible dans Pronote dès demain ; les heures seront déclarées en fin de mois.\n\nBien cordialement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (gen, start) => {
      const c = gen;
      const teacher = c.rand.chance(0.6) ? c.me : c.recipient();
      const coordinator = c.otherPerson(teacher);
      const klass = c.rand.pick(CLASSES);
      const day = c.later(start, 14, 28, 10);
      const topic = c.rand.pick(LESSON_TOPICS);
      const inspector = c.inspector;
      const title = g(inspector.sex, "Monsieur l'Inspecteur", "Madame l'Inspectrice");
      const progression = pdfDocument(`Progression annuelle – ${klass}`, [
        `${teacher.name} – ${c.school}`,
        "",
        "Période 1 : reprise des fondamentaux, évaluation diagnostique.",
        "Période 2 : séquence en cours – travail en groupes et oral.",
        "Période 3 : projet interdisciplinaire.",
        "Période 4 : approfondissements et révisions.",
        "Période 5 : évaluations finales et bilan.",
      ]);
      return {
        participants: coordinator ? [inspector, teacher, coordinator] : [inspector, teacher],
        subject: "Rendez-vous de carrière – visite en classe",
        turns: [
          {
            by: 0,
            body: `Madame, Monsieur,\n\nDans le cadre de votre rendez-vous de carrière, je vous informe de ma visite le ${frDay(day)} à ${frHour(day)} dans votre classe de ${klass}, suivie d'un entretien. Merci de me transmettre auparavant votre progression annuelle.${coordinator ? ` Je mets en copie ${coordinator.name}, coordonnateur de l'équipe disciplinaire.` : ""}\n\nBien cordialement,`,
          },
          {
            by: 1,
            body: `${title},\n\nJe vous remercie pour votre message. Vous trouverez ci-joint ma progression annuelle pour la ${klass}. La séance que vous observerez portera sur ${topic}.\n\nRespectueusement,`,
            attachments: [{ filename: `Progression annuelle ${klass}.pdf`, contentType: PDF, content: progression }],
          },
          {
            by: 0,
            body: "Merci pour ce document très clair. Pourriez-vous prévoir également quelques cahiers d'élèves et le cahier de textes de la classe ?\n\nÀ bientôt,",
          },
          {
            by: 1,
            body: "C'est entendu, je tiendrai ces documents à votre disposition. La salle de réunion du 1er étage est réservée pour l'entretien.\n\nRespectueusement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (gen, start) => {
      const c = gen;
      const { mine, colleague } = pair(c);
      const fellow = c.otherPerson(mine) ?? colleague;
      const title = c.rand.pick(TRAININGS);
      const day = c.later(start, 20, 40, 9);
      return {
        participants: [mine, c.trainer, fellow],
        subject: `Inscription tardive – « ${title} »`,
        turns: [
          {
            by: 0,
            body: `Bonjour,\n\nJe souhaiterais m'inscrire au module « ${title} » du plan académique de formation, mais la campagne d'inscription individuelle est close. Est-il encore possible de s'inscrire ? ${fellow.name}, à qui j'adresse aussi ce message, souhaiterait également y participer.\n\nMerci d'avance,`,
          },
          {
            by: 1,
            body: `Bonjour,\n\nLes inscriptions individuelles sont closes, mais il reste des places sur la session du ${frDay(day)}. Je peux vous inscrire en public désigné : pouvez-vous me confirmer votre établissement d'exercice et votre discipline ?\n\nCordialement,`,
          },
          { by: 0, body: `Merci beaucoup ! Nous exerçons à la ${c.school}.` },
          {
            by: 1,
            body: "C'est fait : vous recevrez votre convocation dans les prochains jours. Pensez à prévenir votre chef d'établissement.\n\nCordialement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (gen) => {
      const c = gen;
      const { mine, colleague } = pair(c);
      const ticket = c.rand.int(100_000, 999_999);
      return {
        participants: [mine, colleague],
        subject: "Cahier de textes de l'ENT inaccessible",
        turns: [
          {
            by: 0,
            body: `${hello(colleague)}\n\nTu es notre référent numérique : depuis ce matin, impossible d'ouvrir le cahier de textes de l'ENT, la page affiche « Erreur 503 – service indisponible » (capture jointe). Cela concerne toutes mes classes. Tu as le même problème ?`,
            attachments: [{ filename: "Capture d'écran ENT.png", contentType: PNG, content: screenshotPng() }],
          },
          {
            by: 1,
            body: `Oui, c'est général. J'ai ouvert un ticket auprès de l'assistance académique (n° ${ticket}) : un incident est en cours sur le service.`,
          },
          { by: 0, body: "Merci. Sais-tu si les devoirs saisis hier soir sont perdus ?" },
          {
            by: 1,
            body: "Le service est rétabli depuis 11 h 40 et rien n'est perdu : les saisies faites avant l'incident sont bien enregistrées. 👍",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (gen) => {
      const c = gen;
      const { mine, colleague } = pair(c);
      const klass = c.rand.pick(CLASSES);
      const s = c.student();
      return {
        participants: [colleague, mine],
        subject: `Appréciations manquantes – ${klass}`,
        turns: [
          {
            by: 0,
            body: `${hello(mine)}\n\nIl manque encore tes appréciations pour la ${klass} dans Pronote (${c.rand.int(5, 27)} élèves sans appréciation). Les bulletins partent à l'impression vendredi : tu peux t'en occuper d'ici jeudi soir ?`,
          },
          {
            by: 1,
            body: "Toutes mes excuses ! J'avais saisi les moyennes mais pas les appréciations. Je m'en occupe ce soir.",
          },
          {
            by: 0,
            body: `Merci ! Petite précision : pour ${s.first} ${s.last}, évite « ensemble moyen », la famille conteste les appréciations trop vagues 😅`,
          },
          { by: 1, body: `C'est fait, tout est saisi. J'ai détaillé pour ${s.first}.` },
        ],
      };
    },
  },
  {
    turns: 3,
    build: (gen, start) => {
      const c = gen;
      const teacher = c.rand.chance(0.6) ? c.me : c.recipient();
      const other = c.otherPerson(teacher);
      const level = c.rand.pick(LEVELS);
      const day = c.later(start, 12, 25, 16, 30);
      const end = new Date(day.getTime() + 3.5 * HOUR);
      const attendees = other ? [teacher, other] : [teacher];
      return {
        participants: [c.principal, ...attendees],
        subject: `Rencontre parents-professeurs – ${level}`,
        turns: [
          {
            by: 0,
            body: `Bonjour,\n\nLa rencontre parents-professeurs des classes de ${level} aura lieu le ${frDay(day)} de 16 h 30 à 20 h. Vous trouverez l'invitation en pièce jointe. Merci de m'indiquer vos éventuelles indisponibilités.\n\nBien cordialement,`,
            attachments: [
              {
                filename: `Rencontre parents-professeurs ${level}.ics`,
                contentType: ICS,
                content: icsInvitation({
                  uid: `${day.getTime().toString(36)}-${c.rand.hex(8)}@${c.domain}`,
                  stamp: start,
                  start: day,
                  end,
                  summary: `Rencontre parents-professeurs – ${level}`,
                  location: `Salle polyvalente, ${c.school}`,
                  description: "Créneaux de dix minutes, réservés par les familles sur l'ENT.",
                  organizer: c.principal,
                  attendees,
                }),
              },
            ],
          },
          {
            by: 1,
            body: "Bonjour,\n\nJe serai là à partir de 17 h seulement (formation l'après-midi au rectorat). Est-il possible de commencer mes rendez-vous à 17 h 15 ?\n\nBien cordialement,",
          },
          {
            by: 0,
            body: "Bien sûr, je fais ajuster la grille. Les familles pourront réserver leurs créneaux sur l'ENT à partir de lundi.\n\nBien cordialement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (gen, start) => {
      const c = gen;
      const mine = c.rand.chance(0.65) ? c.me : c.recipient();
      const day = c.later(start, 20, 35, 18);
      return {
        participants: [c.germanTeacher, mine],
        subject: "Échange franco-allemand avec le Goethe-Gymnasium 🇫🇷🇩🇪",
        turns: [
          {
            by: 0,
            body: `${hello(mine)}\n\nBonne nouvelle : nos correspondants du Goethe-Gymnasium de Leipzig arriveront le ${frDay(day)}. Leur professeure, Frau Schröder, nous écrit : „Wir freuen uns sehr auf die Begegnung – bis bald in Lyon!“\n\nIl nous manque encore quatre familles d'accueil. Pourrais-tu relayer l'information auprès de tes élèves ?\n\nDanke schön !`,
          },
          { by: 1, body: "Super nouvelle ! Je relaie demain en classe. Prévoit-on une soirée d'accueil ?" },
          { by: 0, body: "Oui : buffet partagé le vendredi soir au réfectoire 🥨🥐. Je prépare une affiche bilingue." },
          {
            by: 1,
            body: "J'ai trois familles volontaires : Müller-Rossi, Nguyễn et Åkesson 😊 Je te transmets leurs coordonnées par l'ENT.",
          },
        ],
      };
    },
  },
  {
    turns: 6,
    build: (gen, start) => {
      const c = gen;
      const { mine, colleague } = pair(c);
      const retiree = c.rand.pick(c.teachers.filter((t) => t.address !== colleague.address));
      const busy = new Set([mine.address, colleague.address, retiree.address]);
      const others = c.people.filter((p) => !busy.has(p.address));
      const third =
        others.length > 0 ? c.rand.pick(others) : c.rand.pick(c.teachers.filter((t) => !busy.has(t.address)));
      const day = c.later(start, 9, 14, 17);
      const participants = [colleague, mine, third];
      return {
        participants,
        subject: `🎉 Pot de départ de ${retiree.formal} – ${frDay(day)} 🥂`,
        turns: [
          {
            by: 0,
            body: `Bonjour à toutes et à tous,\n\n${retiree.formal} part à la retraite après 32 ans de bons et loyaux services 👏 Nous organisons un pot le ${frDay(day)} à 17 h en salle des professeurs. Participation libre pour le cadeau (enveloppe dans mon casier). Chut, c'est une surprise ! 🤫`,
          },
          { by: 1, body: "Je serai là ! Je peux apporter un gâteau 🍰" },
          { by: 2, body: "Super idée. Je m'occupe du livre d'or ✍️" },
          { by: 0, body: "Merci à vous ! Déjà 240 € dans l'enveloppe 🎁" },
          {
            by: 1,
            body: `Pour le cadeau, un week-end à Annecy ? ${g(retiree.sex, "Il", "Elle")} parle du lac depuis des années 😄`,
          },
          { by: 0, body: "Validé ! 👍 Rendez-vous vendredi." },
        ],
      };
    },
  },
];
