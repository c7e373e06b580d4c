/**
 * Dates for the demo mail, in Paris time and in French: wall clocks, school days (weekends and the
 * fixed public holidays skipped), "jeudi 13 novembre", "17 h 30", the trimester of a date.
 */

export const SECOND = 1000;
const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

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

export function paris(date: Date): WallClock {
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
export function parisAt(date: Date, days: number, hour: number, minute = 0): Date {
  const c = paris(date);
  const wall = Date.UTC(c.year, c.month - 1, c.day + days, hour, minute);
  const shown = paris(new Date(wall));
  const offset = Date.UTC(shown.year, shown.month - 1, shown.day, shown.hour, shown.minute) - wall;
  return new Date(wall - offset);
}

/** French public holidays with a fixed date, as "month-day". */
const FIXED_HOLIDAYS = new Set(["1-1", "5-1", "5-8", "7-14", "8-15", "11-1", "11-11", "12-25"]);

/** Like `parisAt`, moved on to the next working day when it falls on a weekend or a fixed holiday. */
export function schoolDayAt(date: Date, days: number, hour: number, minute = 0): Date {
  let result = parisAt(date, days, hour, minute);
  for (let i = 0; i < 4; i++) {
    const c = paris(result);
    if (c.weekday !== 0 && c.weekday !== 6 && !FIXED_HOLIDAYS.has(`${c.month}-${c.day}`)) break;
    result = parisAt(result, 1, hour, minute);
  }
  return result;
}

export const pad2 = (n: number): string => String(n).padStart(2, "0");

/** "jeudi 13 novembre", "lundi 1er décembre". */
export function frDay(date: Date): string {
  const c = paris(date);
  return `${WEEKDAYS[c.weekday]} ${c.day === 1 ? "1er" : c.day} ${MONTHS[c.month - 1]}`;
}

/** "17 h 30", "9 h". */
export function frHour(date: Date): string {
  const c = paris(date);
  return c.minute === 0 ? `${c.hour} h` : `${c.hour} h ${pad2(c.minute)}`;
}

/** "novembre 2025". */
export function frMonth(date: Date): string {
  const c = paris(date);
  return `${MONTHS[c.month - 1]} ${c.year}`;
}

export function trimester(date: Date): string {
  const month = paris(date).month;
  if (month >= 9) return "1er trimestre";
  if (month <= 3) return "2e trimestre";
  return "3e trimestre";
}
