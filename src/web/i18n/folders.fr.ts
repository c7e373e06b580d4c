import type { FolderRole } from "../../mail/mail.types.js";

/** The names of every account's special folders, as the guide and the glossary give them. */
export const SPECIAL_FOLDER_NAMES: Readonly<Record<FolderRole, string>> = {
  inbox: "Boîte de réception",
  drafts: "Brouillons",
  sent: "Envoyés",
  junk: "Indésirables",
  trash: "Corbeille",
};
