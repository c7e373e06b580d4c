/** The French texts of the security team's reports and quarantine (`/console/securite/…`). */
export const securityFr = {
  nav: "Pages de la sécurité",
  navLinks: {
    audit: "Journal d'audit",
    reports: "Messages signalés",
    quarantine: "Quarantaine par Message-ID ou expéditeur",
  },
  // The list
  reportsTitle: "Messages signalés",
  reportsIntro:
    "Les messages que les personnes ont signalés comme filoutage avec « Signaler un filoutage », du plus récent au plus ancien.",
  filters: "Filtrer les signalements",
  since: "Du (jj/mm/aaaa)",
  until: "Au (jj/mm/aaaa)",
  domain: "Domaine de l'expéditeur",
  domainHint: "Le domaine exact, par exemple ac-lyon-securite.com.",
  filter: "Filtrer",
  dateWrong: "Saisissez une date au format jj/mm/aaaa.",
  domainTooLong: "Un domaine ne dépasse pas 253 caractères.",
  count: (n: number) =>
    n === 0 ? "Aucun signalement." : n === 1 ? "1 signalement." : `${n.toLocaleString("fr-FR")} signalements.`,
  caption: "Signalements, du plus récent au plus ancien",
  colAt: "Date",
  colReporter: "Signalé par",
  colSender: "Expéditeur",
  colDomain: "Domaine",
  colSubject: "Objet",
  colVerdict: "Authentification",
  colMailboxes: "Boîtes ayant reçu le message",
  open: (subject: string) => `Voir le signalement « ${subject} »`,
  noSubject: "(sans objet)",
  gone: "(message supprimé par la personne)",
  pagination: "Pages des signalements",
  pageOf: (page: number, pages: number) => `Page ${page} sur ${pages}`,
  previous: "Page précédente",
  next: "Page suivante",
  // The verdict
  verdictNone: "non vérifié à la réception",
  verdict: (dmarc: string, spf: string, dkim: string) => `DMARC : ${dmarc}, SPF : ${spf}, DKIM : ${dkim}`,
  outcomes: {
    pass: "réussi",
    fail: "échec",
    softfail: "échec léger",
    neutral: "neutre",
    none: "absent",
    temperror: "erreur temporaire",
    permerror: "erreur permanente",
    policy: "refusé par la politique",
  } as Readonly<Record<string, string>>,
  // A report
  reportTitle: (subject: string) => `Signalement : ${subject}`,
  back: "Retour aux signalements",
  facts: "Le signalement",
  reportedAt: "Signalé le",
  reporter: "Signalé par",
  reporters: "Personnes l'ayant signalé",
  messageId: "Message-ID",
  noMessageId: "(aucun : le message ne peut pas être mis en quarantaine)",
  sender: "Expéditeur",
  subject: "Objet",
  receivedAt: "Reçu le",
  mailboxes: "Boîtes qui en ont une copie",
  handedOver:
    "La personne qui a signalé ce message l'a transmis à l'équipe de sécurité : ses en-têtes et sa source sont affichés tels qu'ils ont été reçus. La consultation est enregistrée dans le journal d'audit.",
  goneText: "La personne qui l'a signalé a supprimé ce message : ses en-têtes et sa source ne sont plus disponibles.",
  headers: "En-têtes",
  source: "Source du message",
  sourceCut: "La source est tronquée à 256 Kio.",
  // Quarantine and release
  actionsTitle: "Quarantaine",
  quarantineIntro:
    "Déplace chaque copie de ce message vers le dossier Indésirables de chaque boîte de l'académie. Rien n'est supprimé.",
  releaseIntro: "Remet dans la boîte de réception chaque copie de ce message qui se trouve dans Indésirables.",
  operation: "Action",
  operations: {
    quarantaine: "Mettre en quarantaine toutes les copies (vers Indésirables)",
    liberer: "Libérer : remettre les copies dans la boîte de réception",
  } as Readonly<Record<string, string>>,
  operationMissing: "Choisissez l'action.",
  reason: "Motif",
  reasonHint: "Obligatoire : il est enregistré dans le journal d'audit avec votre nom.",
  reasonMissing: "Indiquez le motif de cette action.",
  reasonTooLong: (max: number) => `Le motif ne doit pas dépasser ${max} caractères.`,
  codeLabel: "Code de double authentification",
  codeMissing: "Saisissez le code affiché par l'application de double authentification.",
  submit: "Valider",
  byIdTitle: "Quarantaine par Message-ID ou expéditeur",
  byIdIntro:
    "Pour un message qui n'a pas été signalé : saisissez son Message-ID, tel qu'il figure dans ses en-têtes (entre < et >). Pour une campagne envoyée message par message : saisissez l'adresse de l'expéditeur, l'action porte alors sur tous ses messages (hors brouillons et messages envoyés).",
  messageIdHint: "Par exemple <abc123@exemple.com>.",
  messageIdWrong: "Saisissez un Message-ID entre < et >, sans espace.",
  senderLabel: "Ou l'adresse de l'expéditeur",
  senderHint: "Par exemple support@ac-lyon-securite.com : tous les messages de cette adresse.",
  senderWrong: "Saisissez une adresse électronique, par exemple support@exemple.com.",
  targetMissing: "Saisissez un Message-ID ou l'adresse de l'expéditeur.",
  targetBoth: "Saisissez soit un Message-ID, soit l'adresse de l'expéditeur, pas les deux.",
  bySenderLink: (address: string) => `Mettre en quarantaine tous les messages de ${address}`,
  quarantined: (moved: number, copies: number, mailboxes: number) =>
    copies === 0
      ? "Aucune copie de ce message dans les boîtes de l'académie."
      : `${moved} ${moved > 1 ? "copies déplacées" : "copie déplacée"} vers Indésirables (${copies} ${copies > 1 ? "copies" : "copie"} dans ${mailboxes} ${mailboxes > 1 ? "boîtes" : "boîte"}).`,
  /** After a quarantine's result, when messages received before it were still being stored. */
  stillInIntake: (n: number) =>
    ` ${n} ${n > 1 ? "messages reçus juste avant étaient" : "message reçu juste avant était"} encore en cours d'enregistrement : relancez la mise en quarantaine dans un instant.`,
  released: (moved: number, copies: number, mailboxes: number) =>
    copies === 0
      ? "Aucune copie de ce message dans les boîtes de l'académie."
      : `${moved} ${moved > 1 ? "copies remises" : "copie remise"} dans la boîte de réception (${copies} ${copies > 1 ? "copies" : "copie"} dans ${mailboxes} ${mailboxes > 1 ? "boîtes" : "boîte"}).`,
  quarantinedSender: (moved: number, copies: number, mailboxes: number) =>
    copies === 0
      ? "Aucun message de cet expéditeur dans les boîtes de l'académie."
      : `${moved} ${moved > 1 ? "messages déplacés" : "message déplacé"} vers Indésirables (${copies} ${copies > 1 ? "messages" : "message"} de cet expéditeur dans ${mailboxes} ${mailboxes > 1 ? "boîtes" : "boîte"}).`,
  releasedSender: (moved: number, copies: number, mailboxes: number) =>
    copies === 0
      ? "Aucun message de cet expéditeur dans les boîtes de l'académie."
      : `${moved} ${moved > 1 ? "messages remis" : "message remis"} dans la boîte de réception (${copies} ${copies > 1 ? "messages" : "message"} de cet expéditeur dans ${mailboxes} ${mailboxes > 1 ? "boîtes" : "boîte"}).`,
  resultTitle: "Résultat",
};
