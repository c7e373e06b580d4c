/**
 * The types of the demo mail: what the generator gives (`DemoMail`), and what its templates work
 * with (the cast, drafts, threads); the `DemoScene` they are written in is in `scene.ts`.
 */
import type { Sex } from "./random.js";

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

/** What a demo message and its draft have alike; `From` is the sender's type. */
interface MessageParts<From extends DemoPerson> {
  /** The sender: may be outside the académie (a parent, a publisher, the phishing sender). */
  readonly from: From;
  /** At least one of them is among the `people` given to `demoMessages`. */
  readonly to: readonly DemoPerson[];
  readonly cc?: readonly DemoPerson[];
  readonly subject: string;
  readonly html?: string;
  readonly attachments?: readonly DemoAttachment[];
}

export interface DemoMail extends MessageParts<DemoPerson> {
  readonly text: string;
  /** Whole seconds, as a Date header carries them. */
  readonly date: Date;
  /** With its angle brackets: "<…@domain>". */
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
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

export interface Draft extends MessageParts<Actor> {
  /** The body without the signature, which `emit` appends. */
  readonly body: string;
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
