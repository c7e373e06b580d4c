/**
 * What the mail path counts for the administration dashboard (services.consoleStats implements it).
 * Counting never blocks nor fails the mail path: `count` returns at once, and a count that cannot be
 * written is logged by the recorder, never thrown (callers still guard against a recorder that throws).
 */
export type CountedSeries =
  /** A message the SMTP reception accepted (its final answer to DATA was 250). */
  | "mail.received"
  /** A message the SMTP reception refused for good (a 5xx answer to DATA: too large, empty, sender checks). */
  | "mail.refused";

export interface StatsRecorder {
  count(series: CountedSeries, n?: number): void;
}
