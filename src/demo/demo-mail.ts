/**
 * The demo mailboxes' contents: a few hundred realistic French messages of school life — threads
 * with quoted replies, attachments generated here (PDF, CSV, iCalendar, PNG, text), an HTML
 * newsletter with an inline and a remote image, one phishing attempt and a few unicode edge cases.
 *
 * Pure and deterministic: the same people, `now`, seed and domain give the same messages, byte for
 * byte. Nothing is sent from here; the caller delivers the messages through the SMTP reception.
 *
 * This file holds the entry point and the generator (threading, emission, the order of
 * generation); the cast and the dates are in `scene.ts`, the messages themselves in `templates/`,
 * the tables they draw from in `content/*.json`, the attachment encoders in `encoders/`.
 */

import { paris, parisAt, SECOND } from "./calendar.js";
import type { Actor, DatedDraft, DemoMail, DemoMessagesOptions, DemoPerson, Draft } from "./demo-mail.types.js";
import { quote, quoteHeader } from "./french.js";
import { DemoScene } from "./scene.js";
import { commonTestGrades, crossCountry, outingChecklist, piDay, teamReport } from "./templates/colleagues.js";
import { parentMeetingInvitation } from "./templates/establishment.js";
import { parentWithCommaName, phishing } from "./templates/outside.js";
import { longSubject, newsletter } from "./templates/rectorat.js";
import { SINGLES } from "./templates/singles.js";
import { THREADS, type ThreadScript } from "./templates/threads.js";

export type { DemoAttachment, DemoMail, DemoMessagesOptions, DemoPerson } from "./demo-mail.types.js";
export { DEMO_MAIL_WINDOW_DAYS } from "./scene.js";

export const DEMO_MAIL_COUNT = 300;
export const DEMO_MAIL_SEED = 20261105;

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
  const scene = new DemoScene(unique, options.now, options.seed ?? DEMO_MAIL_SEED, domain);
  return new DemoMailGenerator(scene).generate(count);
}

// ---------------------------------------------------------------------------------------------
// The generator

class DemoMailGenerator {
  private readonly mails: DemoMail[] = [];
  private sequence = 0;

  constructor(private readonly scene: DemoScene) {}

  generate(count: number): DemoMail[] {
    const fixed: Array<() => void> = [
      () => this.dated(newsletter(this.scene, 0)),
      () => this.dated(phishing(this.scene)),
      () => this.single((date) => teamReport(this.scene, date)),
      () => this.single((date) => commonTestGrades(this.scene, date)),
      () => this.single((date) => parentMeetingInvitation(this.scene, date, true)),
      () => this.single((date) => crossCountry(this.scene, date)),
      () => this.single((date) => outingChecklist(this.scene, date)),
      () => this.single((date) => piDay(this.scene, date)),
      () => this.single((date) => parentWithCommaName(this.scene, date)),
      () => this.single((date) => longSubject(this.scene, date)),
    ];
    for (const make of fixed.slice(0, count)) make();
    let left = count - this.mails.length;
    for (let issue = 1; issue <= 2 && left > 0; issue++, left--) this.dated(newsletter(this.scene, issue));

    let threadBudget = Math.round(left * 0.3);
    left -= threadBudget;
    // Every script once, in a random order, before any comes back.
    let queue = this.scene.rand.shuffle(THREADS);
    while (threadBudget >= 2) {
      if (queue.length === 0) queue = this.scene.rand.shuffle(THREADS);
      const script = queue.shift();
      if (script === undefined) break;
      const turns = Math.min(this.scene.rand.int(2, script.turns), threadBudget);
      this.thread(script.build, turns);
      threadBudget -= turns;
    }
    left += threadBudget;

    const total = SINGLES.reduce((sum, s) => sum + s.weight, 0);
    for (; left > 0; left--) {
      const roll = this.scene.rand.int(1, total);
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
      const attach = this.scene.rand.chance(0.2);
      this.single((date) => make(this.scene, date, attach));
    }
    return this.mails.sort((a, b) => a.date.getTime() - b.date.getTime());
  }

  // --- emission -------------------------------------------------------------------------------

  private messageId(date: Date, from: DemoPerson): string {
    this.sequence += 1;
    const host = from.address.split("@")[1] ?? this.scene.domain;
    return `<${date.getTime().toString(36)}.${this.sequence.toString(36)}.${this.scene.rand.hex(12)}@${host}>`;
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
    const date = this.scene.randomDate();
    this.emit(make(date), date);
  }

  private dated(made: DatedDraft): void {
    this.emit(made.draft, made.date);
  }

  private thread(build: ThreadScript["build"], turns: number): void {
    // Threads start a week or more ago: five replies a day apart at most still end before now.
    let date = this.scene.randomDate(7);
    const t = build(this.scene, date);
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
            this.scene.me);
      const to = [addressee];
      let cc = t.participants.filter((p) => p.address !== from.address && p.address !== addressee.address);
      if (!this.scene.isDemoPerson(addressee.address)) {
        // A reply to someone outside the demo accounts (a parent, the inspector): it reaches the
        // demo people through a colleague in copy, put in To as a "reply all" does; with only one
        // demo person, that person writing keeps a copy to themself.
        const copied = cc.find((p) => this.scene.isDemoPerson(p.address));
        if (copied) cc = cc.filter((p) => p !== copied);
        to.push(
          copied ??
            (from.address === this.scene.me.address ? (this.scene.otherPerson(from) ?? this.scene.me) : this.scene.me),
        );
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
      date = new Date(date.getTime() + this.scene.rand.int(12 * 60, 20 * 3600) * SECOND);
      const hour = paris(date).hour;
      if (hour < 7 || hour >= 22) {
        date = parisAt(date, hour < 7 ? 0 : 1, this.scene.rand.int(7, 9), this.scene.rand.int(0, 59));
        date = new Date(date.getTime() + this.scene.rand.int(0, 59) * SECOND);
      }
    }
  }
}
