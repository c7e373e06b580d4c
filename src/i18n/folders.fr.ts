/**
 * The names of every account's special folders, as the guide and the glossary give them (keyed by
 * the mail store's folder roles).
 */
export const SPECIAL_FOLDER_NAMES = {
  inbox: "Boîte de réception",
  drafts: "Brouillons",
  sent: "Envoyés",
  junk: "Indésirables",
  trash: "Corbeille",
} as const;
