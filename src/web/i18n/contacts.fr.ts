/** The French texts of the address book (Contacts) pages. */
export const contactsFr = {
  title: "Contacts",
  intro:
    "Vos contacts personnels. Leurs adresses vous sont proposées quand vous écrivez un message, avec celles de l'annuaire de l'académie.",
  empty: "Vous n'avez encore aucun contact.",
  listTitle: "Vos contacts",
  count: (n: number) => (n <= 1 ? `${n} contact` : `${n} contacts`),
  addTitle: "Ajouter un contact",
  name: "Nom",
  nameHint: "Facultatif. Exemple : Jean Dupont",
  address: "Adresse électronique",
  addressHint: "Exemple : prenom.nom@ac-lyon.fr",
  add: "Ajouter le contact",
  edit: "Modifier",
  editOf: (name: string) => `Modifier le contact ${name}`,
  editTitle: (name: string) => `Modifier le contact ${name}`,
  save: "Enregistrer",
  cancel: "Annuler",
  remove: "Supprimer",
  removeOf: (name: string) => `Supprimer le contact ${name}`,
  importTitle: "Importer des contacts (vCard)",
  importHint:
    "Collez le contenu d'un fichier de contacts .vcf (exporté d'un autre logiciel de messagerie ou d'un téléphone), ou choisissez le fichier si votre navigateur le permet.",
  importText: "Contenu du fichier .vcf",
  importFile: "Fichier .vcf",
  importButton: "Importer",
  importMissing: "Collez le contenu d'un fichier .vcf ou choisissez un fichier.",
  exportTitle: "Exporter vos contacts",
  exportLink: "Télécharger vos contacts (fichier vCard .vcf)",
  addFromMessage: "Ajouter l'expéditeur aux contacts",
  /** The compose page's address suggestions, refused for a while (too many in a minute). */
  suggestionsLimited: "Trop de recherches d'adresses en peu de temps. Réessayez dans une minute.",
  done: {
    added: "Le contact a été ajouté.",
    updated: "Le contact a été modifié.",
    removed: "Le contact a été supprimé.",
    imported: (added: number, existing: number, invalid: number) =>
      `Importation terminée : ${added} contact${added > 1 ? "s" : ""} ajouté${added > 1 ? "s" : ""}` +
      (existing > 0 ? `, ${existing} déjà présent${existing > 1 ? "s" : ""}` : "") +
      (invalid > 0 ? `, ${invalid} sans adresse valide (ignoré${invalid > 1 ? "s" : ""})` : "") +
      ".",
  },
} as const;
