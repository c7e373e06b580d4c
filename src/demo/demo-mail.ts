/**
 * The demo mailboxes' contents: a few hundred realistic French messages of school life — threads
 * with quoted replies, attachments generated here (PDF, CSV, iCalendar, PNG, text), an HTML
 * newsletter with an inline and a remote image, one phishing attempt and a few unicode edge cases.
 *
 * Pure and deterministic: the same people, `now`, seed and domain give the same messages, byte for
 * byte. Nothing is sent from here; the caller delivers the messages through the SMTP reception.
 *
 * This file holds the entry point and the generator (the cast, dates, threading, the order of
 * generation); the messages themselves are in `templates/`, the tables they draw from in
 * `content/*.json`, the attachment encoders in `encoders/`.
 */

import { addressLocalBase, firstFreeAddress } from "../directory/naming.js";
import { paris, parisAt, SECOND, schoolDayAt } from "./calendar.js";
import { DISCIPLINES, PARENT_PROVIDERS, SCHOOL_NAMES, SCHOOL_TOWNS } from "./content.js";
import type {
  Actor,
  DatedDraft,
  DemoMail,
  DemoMessagesOptions,
  DemoPerson,
  DemoScene,
  Draft,
  Student,
} from "./demo-mail.types.js";
import { ofDiscipline, quote, quoteHeader, titleCase } from "./french.js";
import { Rand, type Sex } from "./random.js";
import { commonTestGrades, crossCountry, outingChecklist, piDay, teamReport } from "./templates/colleagues.js";
import { parentMeetingInvitation } from "./templates/establishment.js";
import { parentWithCommaName, phishing } from "./templates/outside.js";
import { longSubject, newsletter } from "./templates/rectorat.js";
import { SINGLES } from "./templates/singles.js";
import { THREADS, type ThreadScript } from "./templates/threads.js";

export type { DemoAttachment, DemoMail, DemoMessagesOptions, DemoPerson } from "./demo-mail.types.js";

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
// The generator

class DemoMailGenerator implements DemoScene {
  readonly rand: Rand;
  readonly now: number;
  readonly academie: string;
  readonly siteSlug: string;
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
      () => this.dated(newsletter(this, 0)),
      () => this.dated(phishing(this)),
      () => this.single((date) => teamReport(this, date)),
      () => this.single((date) => commonTestGrades(this, date)),
      () => this.single((date) => parentMeetingInvitation(this, date, true)),
      () => this.single((date) => crossCountry(this, date)),
      () => this.single((date) => outingChecklist(this, date)),
      () => this.single((date) => piDay(this, date)),
      () => this.single((date) => parentWithCommaName(this, date)),
      () => this.single((date) => longSubject(this, date)),
    ];
    for (const make of fixed.slice(0, count)) make();
    let left = count - this.mails.length;
    for (let issue = 1; issue <= 2 && left > 0; issue++, left--) this.dated(newsletter(this, issue));

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

  maybeCc(to: readonly DemoPerson[], from: DemoPerson): Actor[] | undefined {
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

  private dated(made: DatedDraft): void {
    this.emit(made.draft, made.date);
  }

  private thread(build: ThreadScript["build"], turns: number): void {
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
}
