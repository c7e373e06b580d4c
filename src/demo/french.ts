/**
 * Small rules of written French for the demo mail: agreement by sex, elision of « de », a quoted
 * reply and the line above it, and HTML escaping for the HTML bodies.
 */
import { frDay, pad2, paris } from "./calendar.js";
import type { Sex } from "./random.js";

export const g = (sex: Sex | null, male: string, female: string): string => (sex === "female" ? female : male);

/** "de Paul", "d'Emma": the preposition before a name or noun, elided before a vowel. */
export const de = (word: string): string => (/^[aeiouyàâäéèêëîïôöûüœ]/i.test(word) ? `d'${word}` : `de ${word}`);

export const ofDiscipline = (discipline: string): string =>
  (/^[aeiouyéh]/i.test(discipline) ? "d'" : "de ") + discipline;

export function titleCase(word: string): string {
  return word
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("-");
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );
}

/** The line a French mail client puts above a quoted message. */
export function quoteHeader(date: Date, name: string): string {
  const c = paris(date);
  return `Le ${frDay(date)} ${c.year} à ${pad2(c.hour)}:${pad2(c.minute)}, ${name} a écrit :`;
}

export function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? ">" : line.startsWith(">") ? `>${line}` : `> ${line}`))
    .join("\n");
}
