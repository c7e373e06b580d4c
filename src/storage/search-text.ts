/**
 * How a person's names are kept for the helpdesk's search (migration 016 fills it for the people
 * already there, the directory's repository for every person it writes): folded words, and a folded
 * name to sort by. Pure; the search itself (directory/people-search.ts) folds what is typed the same way.
 */
import { foldToAscii } from "../shared/fold.js";

/** The folded words of a text: lowercase ASCII letters and digits, split on anything else. */
export function searchWords(text: string): string[] {
  // ASCII needs no more than lowercasing (most names: the 100,000-row import folds each one).
  const folded = /^\p{ASCII}*$/u.test(text) ? text.toLowerCase() : foldToAscii(text);
  return folded.split(/[^a-z0-9]+/).filter((word) => word !== "");
}

/**
 * The words of one name, and those words joined: adjacent pairs and the whole name, so that
 * « Le Gall » is found by « legall », « D'Artagnan » by « dartagnan », « Jean-Pierre » by
 * « jeanpierre » and « de La Fontaine » by « lafontaine ». Each once.
 */
function nameTerms(words: readonly string[]): string[] {
  if (words.length < 2) return [...words];
  const terms = new Set(words);
  for (let i = 0; i + 1 < words.length; i++) terms.add(`${words[i]}${words[i + 1]}`);
  if (words.length > 2) terms.add(words.join(""));
  return [...terms];
}

/** What the search keeps of a person's names. */
export interface PersonSearchKeys {
  /**
   * The folded name a person is sorted by (bytewise): « dupont / jean pierre ». The « / » sorts
   * after the space and before digits and letters: Dupont comes before Dupont-Martin (« dupont
   * martin / … ») whatever the prénoms.
   */
  readonly name: string;
  /** The terms of the nom (its words and their joins), and those of the prénoms. */
  readonly nomTerms: readonly string[];
  readonly prenomTerms: readonly string[];
}

export function personSearchKeys(nom: string, prenom: string): PersonSearchKeys {
  const last = searchWords(nom);
  const first = searchWords(prenom);
  return { name: `${last.join(" ")} / ${first.join(" ")}`, nomTerms: nameTerms(last), prenomTerms: nameTerms(first) };
}

/** The rows of `person_search_term` for a person: term, person, 1 for a term of the nom (else 0). */
export function searchTermRows(personId: number, keys: PersonSearchKeys): Array<readonly [string, number, 0 | 1]> {
  return [
    ...keys.nomTerms.map((term) => [term, personId, 1] as const),
    ...keys.prenomTerms.map((term) => [term, personId, 0] as const),
  ];
}
