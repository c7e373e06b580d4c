/**
 * The types of the demo mail: what the generator gives (`DemoMail`), and what its templates work
 * with (the cast, drafts, threads, and the `DemoScene` they are written in).
 */
import type { Rand, Sex } from "./random.js";

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

/** Someone who writes: the fields beyond `DemoPerson` only serve the text. */
export interface Actor extends DemoPerson {
  /** Signature lines under the name (may be empty). */
  readonly signature: readonly string[];
  /** Given name, when known: "Bonjour Claire,". */
  readonly first: string | null;
  /** "Mme Martin", "M. Girard", or the full name when the civility is not known. */
  readonly formal: string;
  readonly sex: Sex | null;
}

export interface Student {
  readonly first: string;
  readonly last: string;
  readonly sex: Sex;
  readonly name: string;
}

export interface Draft {
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

export interface Turn {
  /** Index of the writer among the thread's participants. */
  readonly by: number;
  readonly body: string;
  readonly attachments?: readonly DemoAttachment[];
}

export interface Thread {
  readonly participants: readonly Actor[];
  readonly subject: string;
  readonly turns: readonly Turn[];
}

/** A message made with its own date (the newsletters, the phishing attempt). */
export interface DatedDraft {
  readonly draft: Draft;
  readonly date: Date;
}

/**
 * What a template writes with: the random source (draw from it in a fixed order), the clock and
 * domain, the cast of the académie, and the helpers that pick recipients and dates.
 */
export interface DemoScene {
  readonly rand: Rand;
  /** The generation's `now`, in whole seconds (milliseconds since the epoch). */
  readonly now: number;
  /** The académie's mail domain, e.g. "ac-lyon.fr". */
  readonly domain: string;
  /** "académie de Lyon", "académie d'Aix-Marseille". */
  readonly academie: string;
  /** The domain's first label with underscores, as in the académie site's paths. */
  readonly siteSlug: string;
  /** The first demo person: the account the demo user signs in with. */
  readonly me: Actor;
  /** The demo people, `me` first. */
  readonly people: readonly Actor[];
  /** "Cité scolaire Louise-Labé – Bron". */
  readonly school: string;
  readonly teachers: readonly Actor[];
  readonly principal: Actor;
  readonly deputy: Actor;
  readonly cpe: Actor;
  readonly secretariat: Actor;
  readonly bursar: Actor;
  readonly librarian: Actor;
  readonly nurse: Actor;
  readonly inspector: Actor;
  readonly trainer: Actor;
  readonly germanTeacher: Actor;
  readonly dpe: Actor;
  readonly dec: Actor;
  readonly dsi: Actor;
  readonly ent: Actor;
  readonly communication: Actor;
  readonly sport: Actor;
  readonly publisher: Actor;
  /** A new member of the establishment's staff, with a free address in the domain. */
  staff(titles: readonly [string, string], org?: string): Actor;
  student(): Student;
  /** A parent of `child`, writing from a consumer mail provider. */
  parentOf(child: Student, sex?: Sex): Actor;
  /** A recipient among the people; the first one more than half of the time. */
  recipient(): Actor;
  /** Another demo person than `than`, when there is one. */
  otherPerson(than: DemoPerson): Actor | undefined;
  /** A colleague writing to `to`: another demo person or a generated teacher. */
  colleague(to: DemoPerson): Actor;
  /** The recipients of a message to several people, `first` among them. */
  some(first: Actor, max: number): Actor[];
  /** One demo person in copy, one time in five. */
  maybeCc(to: readonly DemoPerson[], from: DemoPerson): Actor[] | undefined;
  /** `min` to `max` days after `date`, at `hour:minute` in Paris, moved on to a school day. */
  later(date: Date, min: number, max: number, hour: number, minute?: number): Date;
  /** A moment in the window, mostly on school days and in the daytime. */
  randomDate(minDaysAgo?: number, maxDaysAgo?: number): Date;
}
