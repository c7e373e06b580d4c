/**
 * Days as people type them in the web's forms (JJ/MM/AAAA, or the AAAA-MM-JJ of a date field) and
 * the instant each starts in the académie's time zone: the webmail's search, the console's audit
 * filters.
 */

export interface Day {
  readonly y: number;
  readonly m: number;
  readonly d: number;
}

/** JJ/MM/AAAA (or the AAAA-MM-JJ of a date field); "" is no date. */
export function parseDay(value: string): Day | "format" | "impossible" | null {
  const v = value.trim();
  if (v === "") return null;
  const fr = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const [y, m, d] = fr ? [fr[3], fr[2], fr[1]].map(Number) : iso ? [iso[1], iso[2], iso[3]].map(Number) : [];
  if (y === undefined || m === undefined || d === undefined) return "format";
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || y > 2200 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return "impossible";
  return { y, m, d };
}

/** Midnight in the académie's time zone on that day (or `plusDays` later). */
export function parisMidnight(day: Day, plusDays = 0): Date {
  const utc = Date.UTC(day.y, day.m - 1, day.d + plusDays);
  const offsetAt = (at: number) => {
    const name =
      new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Paris", timeZoneName: "longOffset" })
        .formatToParts(at)
        .find((p) => p.type === "timeZoneName")?.value ?? "GMT";
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
  };
  return new Date(utc - offsetAt(utc - offsetAt(utc)));
}
