/** The French texts of the console's administration pages (`/console/admin/…`, role `admin`). */
import { frenchSize } from "./fr.js";

/** The CLI's reasons for a rejected row (English, for the operator), said in French. */
const REASONS: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => string]> = [
  [/^invalid NUMEN/, () => "NUMEN invalide : 2 chiffres, 1 lettre, 7 chiffres, 3 lettres attendus"],
  [/^invalid numen_chef/, () => "numen_chef invalide : 2 chiffres, 1 lettre, 7 chiffres, 3 lettres attendus"],
  [/^missing nom$/, () => "nom manquant"],
  [/^missing prenom$/, () => "prénom manquant"],
  [/^name longer than (\d+)/, (m) => `nom ou prénom de plus de ${m[1]} caractères`],
  [
    /^nom or prenom has no Latin letter/,
    () => "le nom ou le prénom n'a aucune lettre latine pour former l'identifiant",
  ],
  [/^date_naissance: /, () => "date de naissance invalide (JJ/MM/AAAA attendu, date possible)"],
  [/^invalid UAI "(.*)"/, (m) => `UAI « ${m[1]} » invalide : 7 chiffres et une lettre clé attendus`],
  [/^civilite or categorie longer than (\d+)/, (m) => `civilité ou catégorie de plus de ${m[1]} caractères`],
  [/^NUMEN repeated in the file \(first on line (\d+)\)/, (m) => `NUMEN déjà présent ligne ${m[1]}`],
  [/^UAI (\S+) repeated in the file/, (m) => `UAI ${m[1]} déjà présent plus haut dans le fichier`],
  [/^missing libelle/, () => "libellé manquant (ou de plus de 200 caractères)"],
  [
    /^numen_chef matches no active person/,
    () => "numen_chef ne correspond à aucun personnel en poste : importez d'abord les personnels",
  ],
  [
    /^the functional account (\S+) already exists/,
    (m) => `le compte fonctionnel ${m[1]} existe déjà pour un autre titulaire`,
  ],
];

export const adminFr = {
  nav: "Administration",
  navLinks: {
    import: "Import RH (personnels et établissements)",
    establishments: "Établissements et comptes fonctionnels",
    queue: "File d'envoi sortante",
    config: "Configuration en cours",
  },
  back: "Retour à l'administration",
  // Import
  importTitle: "Import RH depuis le navigateur",
  importIntro:
    "Déposez l'export CSV (séparateur « ; » ou « , », encodé en UTF-8). Un essai à blanc montre d'abord ce que l'import ferait, sans rien écrire ; vous l'appliquez ensuite.",
  kind: "Nature du fichier",
  kinds: {
    staff: "Personnels (numen;civilite;nom;prenom;date_naissance;categorie;uai)",
    establishments: "Établissements (uai;libelle;numen_chef)",
  },
  kindShort: { staff: "personnels", establishments: "établissements" },
  file: "Fichier CSV",
  fileHint: (max: number) => `Au plus ${frenchSize(max)}, encodé en UTF-8.`,
  full: "Import complet",
  fullHint:
    "Les personnels absents du fichier deviennent « partis » et leurs comptes académiques sont désactivés (comme --full). Un garde-fou refuse un nombre de départs anormal.",
  submitUpload: "Envoyer et faire l'essai à blanc",
  // Upload refusals
  fileMissing: "Choisissez le fichier CSV à importer.",
  fileTooLarge: (max: number) =>
    `Le fichier dépasse la taille maximale de ${frenchSize(max)} : il n'a pas été conservé.`,
  fileEmpty: "Le fichier est vide.",
  fileEncoding: (encoding: string) =>
    `Le fichier n'est pas encodé en UTF-8 (il semble être en ${encoding === "windows-1252" ? "Windows-1252 / Latin-1" : encoding}). Enregistrez-le en « CSV UTF-8 » puis déposez-le à nouveau.`,
  fileNotCsv: (columns: string) =>
    `Ce fichier n'est pas un export CSV lisible avec les colonnes attendues : ${columns}. Rien n'a été importé.`,
  kindMissing: "Choisissez la nature du fichier.",
  columns: {
    staff: "numen, civilite, nom, prenom, date_naissance, categorie, uai",
    establishments: "uai, libelle, numen_chef",
  },
  // Job page
  jobTitle: (kind: string) => `Import des ${kind}`,
  fileLine: (name: string, size: number) => `Fichier : ${name} (${frenchSize(size)})`,
  fullLine: "Import complet : les personnels absents du fichier deviendront « partis ».",
  checking: "Essai à blanc en cours…",
  applying: "Import en cours…",
  progressLabel: "Avancement",
  progressText: (percent: number) => `${percent} % du fichier lu`,
  refresh: "Actualiser",
  refreshHint: "Cette page se met à jour d'elle-même ; sans JavaScript, utilisez « Actualiser ».",
  failed: "L'import a échoué : rien n'a été écrit. Vérifiez le fichier et recommencez.",
  expired:
    "Cet import n'existe plus (plus d'une heure sans être appliqué, ou déjà terminé). Déposez le fichier à nouveau.",
  dryRunTitle: "Résultat de l'essai à blanc",
  resultTitle: "Résultat de l'import",
  dryRunNote: "Rien n'a encore été écrit.",
  counts: {
    rows: "Lignes lues",
    created: "Créations",
    updated: "Mises à jour",
    unchanged: "Inchangés",
    departed: "Départs",
    rejected: "Lignes rejetées",
  },
  countsCaption: "Décompte",
  samplesTitle: {
    created: "Créations",
    updated: "Mises à jour",
    departed: "Départs",
    rejected: "Lignes rejetées",
  },
  sampleCaption: (what: string, shown: number, total: number) =>
    shown < total ? `${what} : les ${shown} premières sur ${total}` : `${what} (${total})`,
  colWho: "Compte ou personne",
  colDetail: "Détail",
  colLine: "Ligne",
  colReason: "Motif",
  returned: "retour dans l'académie",
  reasonOf(reason: string): string {
    for (const [pattern, say] of REASONS) {
      const m = pattern.exec(reason);
      if (m) return say(m);
    }
    return reason;
  },
  refusedRejected: "Trop de lignes rejetées (plus de 10 %) : l'import serait refusé. Corrigez le fichier.",
  refusedDepartures: (departed: number, active: number, max: number) =>
    `Garde-fou des départs : ${departed} personnels sur ${active} en poste deviendraient « partis », plus que les ${max} permis. Vérifiez qu'il s'agit bien de l'export complet de l'académie.`,
  forceLabel: (departed: number) => `Je confirme ces ${departed} départs malgré le garde-fou`,
  forceMissing: "Cochez la confirmation des départs pour appliquer cet import malgré le garde-fou.",
  applySubmit: "Appliquer l'import",
  discardSubmit: "Abandonner",
  applied: "L'import est appliqué et consigné au journal.",
  notApplied: "L'import n'a pas été appliqué : rien n'a été écrit.",
  busy: "Un autre import est en cours d'application : attendez qu'il se termine.",
  newImport: "Nouvel import",
  discarded: "Import abandonné : le fichier déposé a été effacé.",
  // Establishments
  establishmentsTitle: "Établissements et comptes fonctionnels",
  searchLabel: "UAI ou nom de l'établissement",
  searchSubmit: "Rechercher",
  establishmentsCaption: (total: number) => `${total} établissement${total > 1 ? "s" : ""}`,
  establishmentsEmpty: "Aucun établissement ne correspond.",
  colUai: "UAI",
  colName: "Nom",
  colHead: "Chef d'établissement",
  colAccounts: "Comptes fonctionnels",
  noAccount: "aucun",
  accountState: { active: "actif", initial: "mot de passe initial", disabled: "désactivé", compromised: "compromis" },
  pagination: "Pages",
  previous: "Page précédente",
  next: "Page suivante",
  pageOf: (page: number, pages: number) => `Page ${page} sur ${pages}`,
  // Queue
  queueTitle: "File d'envoi sortante",
  queueIntro: "Messages en attente et en échec. Ni l'objet ni le contenu des messages ne sont visibles ici.",
  queueEmpty: "Aucun message en attente ni en échec.",
  queueCaption: "Distributions en attente et en échec",
  colDomain: "Domaine du destinataire",
  colState: "État",
  colAttempts: "Tentatives",
  colNext: "Prochaine tentative",
  colError: "Dernière erreur",
  colActions: "Actions",
  queueStates: { queued: "en attente", sending: "en cours d'envoi", failed: "abandonné" } as Record<string, string>,
  retry: "Réessayer maintenant",
  cancel: "Annuler",
  retryLabel: (id: number, domain: string) => `Réessayer maintenant l'envoi n° ${id} vers ${domain}`,
  cancelLabel: (id: number, domain: string) => `Annuler l'envoi n° ${id} vers ${domain}`,
  retried: "L'envoi sera retenté dans un instant.",
  cancelled: "L'envoi est annulé.",
  queueGone: "Cet envoi n'est plus en attente (déjà parti, en cours ou abandonné).",
  // Config
  configTitle: "Configuration en cours",
  configIntro:
    "Les valeurs avec lesquelles le service tourne. Les secrets (mots de passe, clés, identifiants dans les URL) sont masqués.",
  configCaption: "Paramètres",
  colKey: "Paramètre",
  colValue: "Valeur",
  masked: "(masqué)",
  empty: "(vide)",
};
