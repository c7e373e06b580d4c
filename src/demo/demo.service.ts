/**
 * A generated académie for trying Sésame out: 2,000 staff with French names, 50 establishments with
 * valid UAIs and their functional accounts, 20 external users. A fixed seed makes it reproducible,
 * which also lets `npm start` show the demo identities again without storing any NUMEN in clear.
 * The data goes through the real import paths (CSV files in a temporary folder).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DirectoryService } from "../directory/directory.service.js";
import { formatFrenchDate, uaiKey } from "../directory/identifiers.js";
import { usernameBase } from "../directory/naming.js";
import type { StaffImportService } from "../directory/staff-import.service.js";
import type { PasswordHasher } from "../identity/password-hasher.js";
import { DomainError } from "../shared/errors.js";

export const DEMO_SEED = 20260901;
export const DEMO_EXTERNAL_PASSWORD = "sésame démo pour les externes";

const CATEGORIES = ["enseignant", "enseignant", "enseignant", "administratif", "santé", "technique"];

interface DemoPerson {
  numen: string;
  civilite: string;
  nom: string;
  prenom: string;
  birth: string;
  categorie: string;
  uai: string;
}

interface DemoData {
  staff: DemoPerson[];
  establishments: Array<{ uai: string; libelle: string; head: DemoPerson }>;
  externals: Array<{ nom: string; prenom: string; email: string }>;
}

function csvField(value: string): string {
  return /[";\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The same data for the same seed, every time. */
export async function generateDemoData(sizes = { staff: 2000, establishments: 50, externals: 20 }): Promise<DemoData> {
  // Loaded only here: faker's French locale weighs tens of megabytes that no other command needs.
  const { base, Faker, fr } = await import("@faker-js/faker");
  const faker = new Faker({ locale: [fr, base], seed: DEMO_SEED });
  const pick = <T>(items: readonly T[]): T => items[faker.number.int({ min: 0, max: items.length - 1 })] as T;
  const uais: string[] = [];
  const usedUai = new Set<string>();
  while (uais.length < sizes.establishments) {
    const digits = `069${String(faker.number.int({ min: 0, max: 9999 })).padStart(4, "0")}`;
    if (usedUai.has(digits)) continue;
    usedUai.add(digits);
    uais.push(`${digits}${uaiKey(digits)}`);
  }
  const numens = new Set<string>();
  const staff: DemoPerson[] = [];
  while (staff.length < sizes.staff) {
    const numen = `${faker.string.numeric(2)}${faker.string.alpha({ length: 1, casing: "upper" })}${faker.string.numeric(7)}${faker.string.alpha({ length: 3, casing: "upper" })}`;
    if (numens.has(numen)) continue;
    numens.add(numen);
    const sex = faker.helpers.arrayElement(["female", "male"] as const);
    const birth = faker.date.between({ from: "1962-01-01T00:00:00Z", to: "2001-12-31T00:00:00Z" });
    staff.push({
      numen,
      civilite: sex === "female" ? "Mme" : "M.",
      nom: faker.person.lastName(),
      prenom: faker.person.firstName(sex),
      birth: formatFrenchDate(birth.toISOString().slice(0, 10)),
      categorie: staff.length < sizes.establishments ? "direction" : pick(CATEGORIES),
      uai: uais[staff.length % uais.length] as string,
    });
  }
  const kinds = ["Collège", "Lycée", "Lycée professionnel", "École élémentaire"];
  const establishments = uais.map((uai, i) => ({
    uai,
    libelle: `${pick(kinds)} ${faker.person.lastName()} — ${faker.location.city()}`,
    head: staff[i] as DemoPerson,
  }));
  const externals = Array.from({ length: sizes.externals }, () => {
    const prenom = faker.person.firstName();
    const nom = faker.person.lastName();
    return {
      prenom,
      nom,
      email: faker.internet.email({ firstName: prenom, lastName: nom, provider: "example.org" }).toLowerCase(),
    };
  });
  return { staff, establishments, externals };
}

export interface DemoIdentity {
  readonly role: string;
  readonly username: string;
  readonly password: string;
  /** What else the assistance asks for (NUMEN and birth date), or the recovery address. */
  readonly hint: string;
}

export class DemoService {
  constructor(
    private readonly directory: DirectoryService,
    private readonly staffImport: StaffImportService,
    private readonly hasher: PasswordHasher,
    /** Fills the demo mailboxes once the directory is filled (`demo-mailbox.ts`, wired by services.ts). */
    private readonly fillMailboxes?: (people: readonly { name: string; address: string }[]) => Promise<unknown>,
  ) {}

  /** The demo accounts that get mail: the demo teacher first, then other staff and the demo head. */
  async mailboxPeople(count = 16): Promise<{ name: string; address: string }[]> {
    const data = await generateDemoData();
    const teacher = data.staff.find((p) => p.categorie === "enseignant");
    const others = data.staff.filter((p) => p !== teacher).slice(0, count - 1);
    const out: { name: string; address: string }[] = [];
    for (const person of [...(teacher ? [teacher] : []), ...others]) {
      const account = await this.directory.findAccount(person.numen);
      if (account) out.push({ name: `${person.prenom} ${person.nom}`, address: account.address });
    }
    const head = data.establishments[0];
    const functional = head ? await this.directory.findAccount(`ce.${head.uai.toLowerCase()}`) : null;
    if (head && functional) out.splice(1, 0, { name: head.libelle, address: functional.address });
    return out;
  }

  /** Fills an empty directory; refuses one that already has people. */
  async fill(actor: string): Promise<void> {
    if (!(await this.directory.isEmpty())) {
      throw new DomainError("CONFLICT", "the directory is not empty: the demo only fills an empty one");
    }
    const data = await generateDemoData();
    const dir = await mkdtemp(path.join(tmpdir(), "sesame-demo-"));
    try {
      const staffCsv = path.join(dir, "staff.csv");
      const header = "numen;civilite;nom;prenom;date_naissance;categorie;uai";
      const lines = data.staff.map((p) =>
        [p.numen, p.civilite, p.nom, p.prenom, p.birth, p.categorie, p.uai].map(csvField).join(";"),
      );
      await writeFile(staffCsv, `${header}\n${lines.join("\n")}\n`);
      const staffReport = await this.staffImport.importFile(staffCsv, { actor });
      if (!staffReport.applied || staffReport.rejected.length > 0) {
        throw new Error(`demo staff import refused rows: ${JSON.stringify(staffReport.rejected.slice(0, 3))}`);
      }
      const estCsv = path.join(dir, "establishments.csv");
      const estLines = data.establishments.map((e) => [e.uai, e.libelle, e.head.numen].map(csvField).join(";"));
      await writeFile(estCsv, `uai;libelle;numen_chef\n${estLines.join("\n")}\n`);
      const estReport = await this.directory.importEstablishments(estCsv, { actor });
      if (!estReport.applied || estReport.rejected.length > 0) {
        throw new Error(`demo establishments import refused rows: ${JSON.stringify(estReport.rejected.slice(0, 3))}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const passwordHash = await this.hasher.hash(DEMO_EXTERNAL_PASSWORD);
    for (const e of data.externals) {
      await this.directory.createExternal(
        { nom: e.nom, prenom: e.prenom, recoveryEmail: e.email, passwordHash },
        actor,
      );
    }
    if (this.fillMailboxes) await this.fillMailboxes(await this.mailboxPeople());
  }

  /** Three identities to try the service with, or none when the directory is not the demo one. */
  async identities(): Promise<DemoIdentity[]> {
    const data = await generateDemoData();
    const out: DemoIdentity[] = [];
    const teacher = data.staff.find((p) => p.categorie === "enseignant");
    const head = data.establishments[0];
    const external = data.externals[0];
    if (teacher) {
      const account = await this.directory.findAccount(teacher.numen);
      if (account) {
        out.push({
          role: `staff member (${teacher.prenom} ${teacher.nom})`,
          username: account.username,
          password: account.passwordState === "initial" ? teacher.numen : "(changed since)",
          hint: `NUMEN ${teacher.numen}, born ${teacher.birth}`,
        });
      }
    }
    if (head) {
      const account = await this.directory.findAccount(`ce.${head.uai.toLowerCase()}`);
      if (account) {
        out.push({
          role: `functional account (${head.libelle})`,
          username: account.username,
          password: account.passwordState === "initial" ? head.head.numen : "(changed since)",
          hint: `held by the head, NUMEN ${head.head.numen}, born ${head.head.birth}`,
        });
      }
    }
    if (external) {
      // The first external user created gets the base username (no one had it before).
      const account = await this.directory.findAccount(`ext-${usernameBase(external.prenom, external.nom)}`);
      if (account && account.recoveryEmail === external.email) {
        out.push({
          role: `external user (${external.prenom} ${external.nom})`,
          username: account.username,
          password: DEMO_EXTERNAL_PASSWORD,
          hint: `recovery address ${external.email}`,
        });
      }
    }
    return out;
  }
}
