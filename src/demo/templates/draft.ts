/**
 * What many templates share: the attachment added only when asked for, and the notices, messages
 * from one sender to a few demo people about a day to come, written as data.
 */
import type { Actor, DemoAttachment, Draft } from "../demo-mail.types.js";
import type { DemoScene } from "../scene.js";

/**
 * The `attachments` of a draft that has one only when `attach` is set: `make` is called only then,
 * as it may draw from the random source.
 */
export function attachedIf(
  attach: boolean,
  make: () => DemoAttachment,
): { readonly attachments?: readonly DemoAttachment[] } {
  return attach ? { attachments: [make()] } : {};
}

/** A message from one sender to a few demo people about a day to come. */
export interface Notice {
  readonly from: (c: DemoScene) => Actor;
  /** How many demo people it goes to, at the most. */
  readonly readers: number;
  /** The day it is about: `min` to `max` school days after the message, at `hour:minute` in Paris. */
  readonly day: readonly [min: number, max: number, hour: number, minute?: number];
  readonly subject: (day: Date, c: DemoScene, date: Date) => string;
  readonly body: (day: Date, c: DemoScene, date: Date) => string;
}

/** The template of a notice: the recipients, then the day, then the text, drawn in that order. */
export function notice(n: Notice): (c: DemoScene, date: Date) => Draft {
  return (c, date) => {
    const to = c.some(c.recipient(), n.readers);
    const day = c.later(date, ...n.day);
    return { from: n.from(c), to, subject: n.subject(day, c, date), body: n.body(day, c, date) };
  };
}
