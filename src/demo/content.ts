/**
 * The tables the demo mail draws from (school life, the académie's news and offers), kept as data
 * in `content/*.json`; typed here. The wording of each message stays in its template.
 */
import academie from "./content/academie.json" with { type: "json" };
import school from "./content/school.json" with { type: "json" };

export interface NewsItem {
  readonly title: string;
  readonly text: string;
  /** The article's path on the académie's site. */
  readonly path: string;
}

export const DISCIPLINES: readonly string[] = school.disciplines;
export const CLASSES: readonly string[] = school.classes;
export const LEVELS: readonly string[] = school.levels;
export const ROOMS: readonly string[] = school.rooms;
export const SCHOOL_NAMES: readonly string[] = school.schoolNames;
export const SCHOOL_TOWNS: readonly string[] = school.schoolTowns;
export const LESSON_TOPICS: readonly string[] = school.lessonTopics;
/** Where a class goes, with its preposition: "Sortie au musée…", "Sortie à l'Institut…". */
export const OUTINGS: readonly string[] = school.outings;
/** The consumer mail providers parents write from. */
export const PARENT_PROVIDERS: readonly string[] = school.parentMailProviders;

export const TRAININGS: readonly string[] = academie.trainings;
export const TRAINING_PLACES: readonly string[] = academie.trainingPlaces;
/** What a note de service is about, after "relative à". */
export const NOTES_DE_SERVICE: readonly string[] = academie.notesDeService;
/** The newsletter's articles. */
export const NEWS: readonly NewsItem[] = academie.news;
/** The newsletter's agenda entries. */
export const AGENDA: readonly string[] = academie.agenda;
