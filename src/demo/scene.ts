/**
 * The scene the demo messages are written in: the random source, the clock and domain, the cast of
 * the académie (the demo people, the establishment's staff, the rectorat's services) and the
 * helpers that pick recipients and dates. The templates draw from it in a fixed order.
 */
import { addressLocalBase, firstFreeAddress } from "../directory/naming.js";
import { paris, SECOND, schoolDayAt } from "./calendar.js";
import { DISCIPLINES, PARENT_PROVIDERS, SCHOOL_NAMES, SCHOOL_TOWNS } from "./content.js";
import type { Actor, DemoPerson, Student } from "./demo-mail.types.js";
import { ofDiscipline, titleCase } from "./french.js";
import { Rand, type Sex } from "./random.js";

export const DEMO_MAIL_WINDOW_DAYS = 60;

export class DemoScene {
  /** The random source: draw from it in a fixed order. */
  readonly rand: Rand;
  /** The generation's `now`, in whole seconds (milliseconds since the epoch). */
  readonly now: number;
  /** "académie de Lyon", "académie d'Aix-Marseille". */
  readonly academie: string;
  /** The domain's first label with underscores, as in the académie site's paths. */
  readonly siteSlug: string;
  /** The first demo person: the account the demo user signs in with. */
  readonly me: Actor;
  /** The demo people, `me` first. */
  readonly people: readonly Actor[];
  private readonly personAddresses: Set<string>;
  private readonly takenAddresses: Set<string>;
  /** "Cité scolaire Louise-Labé – Bron". */
  readonly school: string;
  private readonly uai: string;
  readonly teachers: readonly Actor[];
  readonly principal: Actor;
  readonly deputy: Actor;
  readonly cpe: Actor;
  readonly secretariat: Actor;
  readonly bursar: Actor;
  readonly librarian: Actor;
  readonly nurse: Actor;
  readonly inspector: Actor;
  readonly inspectorDiscipline: string;
  readonly trainer: Actor;
  readonly germanTeacher: Actor;
  readonly dpe: Actor;
  readonly dec: Actor;
  readonly dsi: Actor;
  readonly ent: Actor;
  readonly communication: Actor;
  readonly sport: Actor;
  readonly publisher: Actor;

  constructor(
    people: readonly DemoPerson[],
    now: Date,
    seed: number,
    /** The académie's mail domain, e.g. "ac-lyon.fr". */
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

  /** Whether `address` is one of the demo people's, as given. */
  isDemoPerson(address: string): boolean {
    return this.personAddresses.has(address);
  }

  // --- cast and recipients --------------------------------------------------------------------

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

  /** A new member of the establishment's staff, with a free address in the domain. */
  staff(titles: readonly [string, string], org = this.school): Actor {
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

  /** A parent of `child`, writing from a consumer mail provider. */
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
  some(first: Actor, max: number): Actor[] {
    const others = this.rand.sample(
      this.people.filter((p) => p.address !== first.address),
      this.rand.int(0, max - 1),
    );
    return [first, ...others];
  }

  /** One demo person in copy, one time in five. */
  maybeCc(to: readonly DemoPerson[], from: DemoPerson): Actor[] | undefined {
    if (!this.rand.chance(0.2)) return undefined;
    const exclude = new Set([from.address, ...to.map((p) => p.address)]);
    const candidates = this.people.filter((p) => !exclude.has(p.address));
    return candidates.length === 0 ? undefined : [this.rand.pick(candidates)];
  }

  /** `min` to `max` days after `date`, at `hour:minute` in Paris, moved on to a school day. */
  later(date: Date, min: number, max: number, hour: number, minute = 0): Date {
    return schoolDayAt(date, this.rand.int(min, max), hour, minute);
  }

  // --- dates ----------------------------------------------------------------------------------

  /** A moment in the window, mostly on school days and in the daytime. */
  randomDate(minDaysAgo = 0, maxDaysAgo = DEMO_MAIL_WINDOW_DAYS): Date {
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
}
