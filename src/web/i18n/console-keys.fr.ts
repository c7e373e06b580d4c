/** The console's security keys (WebAuthn): their page, the enrolment's and the sign-in's key buttons. */
export const keysFr = {
  // The home page's link and the keys' page
  homeLink: "Clés de sécurité",
  homeText: "Vos clés de sécurité et clés d'accès (passkeys), utilisables à la place du code à 6 chiffres.",
  title: "Clés de sécurité",
  intro:
    "Une clé de sécurité (clé USB ou NFC) ou une clé d'accès (passkey) enregistrée dans votre ordinateur ou votre téléphone peut remplacer le code à 6 chiffres, à la connexion comme pour confirmer une action sensible.",
  listCaption: "Vos clés de sécurité",
  empty: "Vous n'avez enregistré aucune clé de sécurité.",
  colName: "Nom",
  colCreated: "Ajoutée le",
  colLastUsed: "Dernière utilisation",
  never: "jamais",
  remove: (name: string) => `Retirer la clé « ${name} »`,
  removeShort: "Retirer",
  addTitle: "Ajouter une clé de sécurité",
  name: "Nom de la clé",
  nameHint: "Pour la reconnaître dans la liste, par exemple « Clé USB bleue » ou « Ordinateur du bureau ».",
  nameMissing: "Donnez un nom à la clé (60 caractères au plus).",
  add: "Ajouter une clé de sécurité",
  added: (name: string) => `La clé « ${name} » est ajoutée.`,
  removed: (name: string) => `La clé « ${name} » est retirée.`,
  back: "Retour à la console",
  // Everywhere a key can be used
  needsJs:
    "Les clés de sécurité demandent JavaScript. Sans JavaScript, seul le code à 6 chiffres (ou un code de secours) fonctionne : si vous n'avez qu'une clé de sécurité, activez JavaScript ou utilisez un code de secours.",
  unsupported: "Ce navigateur ne permet pas d'utiliser une clé de sécurité.",
  waiting: "Présentez votre clé de sécurité ou confirmez sur votre appareil…",
  cancelled: "L'opération a été annulée ou a expiré. Réessayez.",
  failed: "La clé de sécurité n'a pas pu être utilisée. Réessayez.",
  // The enrolment's alternative
  enrolTitle: "Ou utilisez une clé de sécurité",
  enrolIntro:
    "Vous pouvez aussi activer la double authentification avec une clé de sécurité ou une clé d'accès (passkey) à la place de l'application.",
  enrolSubmit: "Activer avec une clé de sécurité",
  // The sign-in's second step
  useKey: "Utiliser une clé de sécurité",
  signInOr: "Ou, avec votre clé de sécurité :",
  // A sensitive action's confirmation
  reauthOr: "Ou confirmez avec votre clé de sécurité :",
  reauthDone: "Confirmé avec votre clé de sécurité : l'action va être envoyée.",
} as const;
