/**
 * Every text a user reads, in French, in one place. Functions take the configured values
 * (académie, domain, phone) so that any académie can run Sésame.
 */

import { SPECIAL_FOLDER_NAMES } from "../../i18n/folders.fr.js";
import type { ErrorCode } from "../../shared/errors.js";

// Intl formatters are costly to build (tens of microseconds each) and a message list formats
// hundreds of dates: each is built once.
const PARIS = "Europe/Paris";
const TIME = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: PARIS });
const LONG_DAY = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: PARIS });
const SHORT_DAY = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeZone: PARIS });
const YEAR = new Intl.DateTimeFormat("fr-FR", { year: "numeric", timeZone: PARIS });
const DAY_MONTH = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "short", timeZone: PARIS });
const DAY_MONTH_YEAR = new Intl.DateTimeFormat("fr-FR", {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: PARIS,
});
const DECIMAL = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });

/** "à 14 h 05" style time, in the académie's time zone. */
export function frenchTime(date: Date): string {
  return TIME.format(date).replace(":", " h ");
}

export function frenchDateTime(date: Date): string {
  return `${LONG_DAY.format(date)} à ${frenchTime(date)}`;
}

/** "850 octets", "12 ko", "3,4 Mo", "1 Go" (binary multiples, as mail clients count them). */
export function frenchSize(bytes: number): string {
  if (bytes < 1024) return bytes <= 1 ? `${bytes} octet` : `${bytes} octets`;
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} ko`;
  if (bytes < 1024 * 1024 * 1024) return `${DECIMAL.format(bytes / (1024 * 1024))} Mo`;
  return `${DECIMAL.format(bytes / (1024 * 1024 * 1024))} Go`;
}

const WEEKDAY = new Intl.DateTimeFormat("fr-FR", { weekday: "long", timeZone: PARIS });
const DAY_MS = 86_400_000;

/**
 * A message list's date: the time today, « hier », the weekday within the last six days, the day
 * this year, the full date before (days counted in the académie's time zone).
 */
export function frenchShortDate(date: Date, now: Date): string {
  const day = SHORT_DAY.format(date);
  if (day === SHORT_DAY.format(now)) return frenchTime(date);
  if (date.getTime() < now.getTime()) {
    if (day === SHORT_DAY.format(new Date(now.getTime() - DAY_MS))) return "hier";
    // Within the week before today (and not earlier: the weekday would then be ambiguous).
    if (now.getTime() - date.getTime() < 6 * DAY_MS) return WEEKDAY.format(date);
  }
  return (YEAR.format(date) === YEAR.format(now) ? DAY_MONTH : DAY_MONTH_YEAR).format(date);
}

/** "1 minute", "3 minutes" … */
export function minutes(n: number): string {
  return n <= 1 ? "1 minute" : `${n} minutes`;
}

export const fr = {
  appName: "Sésame",
  skipLink: "Aller au contenu",
  errorPrefix: "Erreur : ",
  required: "obligatoire",
  showPassword: "Afficher le mot de passe",
  hidePassword: "Masquer le mot de passe",
  errorSummaryTitle: "Le formulaire contient des erreurs :",
  footer: {
    help: "Aide",
    phishing: "Se protéger du filoutage",
    assistance: "Assistance à l'identification",
  },
  login: {
    title: "Connexion au webmail",
    phishingTitle: "ATTENTION aux nombreuses tentatives de filoutage.",
    phishingText:
      "Ne répondez à aucune sollicitation vous demandant de fournir vos identifiant et mot de passe de messagerie, vérifiez l'adresse de l'expéditeur des messages reçus.",
    phishingMorePrefix: "Pour en savoir plus, consultez ",
    phishingMoreLink: "cette page d'information",
    welcome: "Bienvenue sur le webmail",
    username: "Nom d'utilisateur",
    usernameHint: "Votre nom d'utilisateur est généralement : 1ère lettre du prénom suivie du nom de famille.",
    password: "Mot de passe",
    passwordHint: "Le mot de passe est votre NUMEN lors de votre première connexion.",
    submit: "Se connecter",
    help: "J'ai besoin d'aide",
    lost: "Je ne connais pas mon nom d'utilisateur ou mon mot de passe",
    invalid: "Nom d'utilisateur ou mot de passe incorrect.",
    usernameMissing: "Saisissez votre nom d'utilisateur.",
    passwordMissing: "Saisissez votre mot de passe.",
    throttled: (retry: string) =>
      `Trop de tentatives de connexion pour ce compte. Par sécurité, réessayez à partir de ${retry}.`,
    challengeRequired:
      "De nombreuses tentatives de connexion viennent de votre réseau. Une courte vérification automatique est demandée : elle se fait dans votre navigateur, sans rien à saisir, puis validez à nouveau.",
    challengeNoScript:
      "Cette vérification a besoin de JavaScript. Sans JavaScript, réessayez dans une dizaine de minutes.",
    challengeLabel: "Vérification automatique anti-robot",
    loggedOut: "Vous êtes déconnecté. À bientôt !",
    sessionExpired: "Votre session a expiré. Connectez-vous à nouveau.",
  },
  help: {
    title: "Aide à la connexion",
    intro: (academie: string) => `Le webmail de l'${academie} vous donne accès à votre messagerie académique.`,
    items: [
      "Votre nom d'utilisateur est généralement la première lettre de votre prénom suivie de votre nom de famille (par exemple jdupont pour Jean Dupont). Si un homonyme existe déjà, un chiffre est ajouté (jdupont2).",
      "Vous pouvez aussi vous connecter avec votre adresse complète (prenom.nom@…).",
      "Lors de votre première connexion, votre mot de passe est votre NUMEN. Vous devrez alors choisir un mot de passe personnel.",
      "Votre mot de passe ne vous sera jamais demandé par message électronique ou par téléphone.",
    ],
    lostTitle: "Identifiant ou mot de passe oublié",
    lostText: "Utilisez l'application d'Assistance à l'identification académique :",
    back: "Revenir à la page de connexion",
  },
  lost: {
    title: "Que faire si vous ne connaissez pas votre identifiant ou en cas de perte de son mot de passe ?",
    casesIntro: "Dans les cas où :",
    cases: ["Vous ne connaissez pas votre identifiant.", "Vous avez perdu votre mot de passe."],
    action: "Connectez-vous à l'application d'Assistance à l'identification Académique.",
    link: "Accéder à l'Assistance à l'identification académique",
    back: "Revenir à la page de connexion",
  },
  phishing: {
    title: "Se protéger du filoutage (hameçonnage)",
    intro:
      "Le filoutage consiste à vous faire croire qu'un message vient d'un service de confiance pour obtenir votre identifiant, votre mot de passe ou d'autres informations personnelles.",
    recognizeTitle: "Comment le reconnaître ?",
    recognize: [
      "Le message vous demande votre identifiant, votre mot de passe ou votre NUMEN, souvent avec urgence (« votre compte sera fermé »).",
      "L'adresse de l'expéditeur ne correspond pas au domaine de l'académie, ou ressemble à s'y méprendre à une adresse connue.",
      "Le lien proposé mène vers un site dont l'adresse n'est pas celle de l'académie.",
      "Le message contient des fautes, une mise en forme inhabituelle ou une pièce jointe inattendue.",
    ],
    neverTitle: "L'académie ne vous demandera jamais votre mot de passe",
    never: (domain: string) =>
      `Aucun service de l'académie ne vous demandera votre mot de passe par message électronique ou par téléphone. Connectez-vous toujours en tapant vous-même l'adresse du webmail, et vérifiez que les adresses des expéditeurs se terminent bien par @${domain}.`,
    reportTitle: "Que faire ?",
    report: [
      "Ne répondez pas, ne cliquez sur aucun lien, n'ouvrez aucune pièce jointe.",
      "Signalez le message à l'assistance informatique de l'académie, puis supprimez-le.",
      "Si vous avez saisi votre mot de passe, changez-le immédiatement avec l'Assistance à l'identification et prévenez l'assistance.",
    ],
    back: "Revenir à la page de connexion",
  },
  password: {
    changeTitle: "Choisissez votre mot de passe personnel",
    forcedIntro:
      "Vous vous êtes connecté avec votre NUMEN. Pour protéger votre compte, choisissez maintenant un mot de passe personnel : le NUMEN ne pourra plus servir de mot de passe.",
    rulesTitle: "Votre nouveau mot de passe doit :",
    rules: (min: number, max: number) => [
      `compter entre ${min} et ${max} caractères (une phrase de plusieurs mots est idéale) ;`,
      "ne contenir ni votre nom d'utilisateur, ni vos nom et prénom, ni votre NUMEN, ni votre date de naissance ;",
      "ne pas être un mot de passe courant ou facile à deviner.",
    ],
    rulesNote: "Aucune combinaison de majuscules, chiffres ou caractères spéciaux n'est imposée.",
    current: "Mot de passe actuel",
    newPassword: "Nouveau mot de passe",
    confirmation: "Confirmation du mot de passe",
    submit: "Enregistrer le mot de passe",
    strength: "Robustesse du mot de passe :",
    strengthLevels: ["très faible", "faible", "moyenne", "bonne", "très bonne"],
    changed: "Votre mot de passe a été modifié.",
    compromised: "Compte compromis : quelqu'un d'autre a pu utiliser mon compte",
    compromisedHint:
      "Cochez cette case si vous pensez que quelqu'un connaît votre mot de passe : le transfert de vos messages sera aussi désactivé, et toutes vos autres sessions fermées.",
    changedForwardingOff:
      "Votre mot de passe a été modifié. Par sécurité, le transfert de vos messages vers une autre adresse a été désactivé.",
    missing: "Saisissez votre nouveau mot de passe.",
    confirmationMissing: "Saisissez à nouveau le mot de passe pour le confirmer.",
    ruleMessages: {
      TOO_SHORT: (min: number) => `Le mot de passe doit compter au moins ${min} caractères.`,
      TOO_LONG: (max: number) => `Le mot de passe doit compter au plus ${max} caractères.`,
      CONTAINS_USERNAME: "Le mot de passe ne doit pas contenir votre nom d'utilisateur.",
      CONTAINS_NAME: "Le mot de passe ne doit pas contenir votre nom ou votre prénom.",
      CONTAINS_NUMEN: "Le mot de passe ne doit pas contenir votre NUMEN.",
      CONTAINS_BIRTH_DATE: "Le mot de passe ne doit pas contenir votre date de naissance.",
      COMMON_PASSWORD: "Ce mot de passe fait partie des mots de passe les plus courants.",
      TOO_GUESSABLE: "Ce mot de passe est trop facile à deviner : allongez-le, par exemple avec plusieurs mots.",
      SAME_AS_CURRENT: "Le nouveau mot de passe doit être différent de l'actuel.",
      CONFIRMATION_MISMATCH: "La confirmation ne correspond pas au nouveau mot de passe.",
      CURRENT_WRONG: "Le mot de passe actuel est incorrect.",
    },
  },
  assistance: {
    title: "Assistance à l'identification",
    landingTitle: "Identifiant ou mot de passe oublié",
    landingLink: "Je ne connais pas mon nom d'utilisateur ou mon mot de passe",
    choiceIntro:
      "Si vous avez perdu votre identifiant, vous pouvez le récupérer. Si vous avez perdu votre mot de passe, vous pouvez le réinitialiser.",
    choicePrompt:
      "Pour procéder à la récupération de l'identifiant ou à la réinitialisation du mot de passe, veuillez cliquer sur le bouton correspondant à votre situation :",
    staffSummary: (academie: string) => `Je suis un personnel de l'${academie}`,
    staffText: (academie: string) =>
      `Si vous êtes un personnel de l'${academie}, vous pouvez vous connecter avec votre NUMEN et votre date de naissance afin de récupérer votre identifiant et pouvoir modifier votre mot de passe.`,
    staffButton: "Je me connecte avec mon NUMEN",
    unknownNumenTitle: "Si vous ne connaissez pas votre NUMEN :",
    unknownNumen: (phone: string) => [
      `Si vous êtes personnel administratif, enseignant dans un collège ou un lycée, personnel de santé ou personnel technique, veuillez contacter le rectorat au ${phone}.`,
      "Si vous êtes enseignant du premier degré, adressez-vous au secrétariat de votre circonscription.",
    ],
    externalSummary: "Je suis un utilisateur externe",
    externalText:
      "Saisissez votre identifiant (ext-…) ou votre adresse de secours : si un compte correspond, un lien pour choisir un nouveau mot de passe est envoyé à son adresse de secours. Ce lien est valable 15 minutes et ne sert qu'une fois.",
    externalField: "Identifiant ou adresse de secours",
    externalButton: "Recevoir un lien",
    externalSentTitle: "Demande enregistrée",
    externalSent:
      "Si un compte correspond, un message vient d'être envoyé à son adresse de secours avec un lien valable 15 minutes. Pensez à vérifier vos indésirables.",
    accountLoginLink: "Je connais mon identifiant et mon mot de passe : gérer mon compte",
    numenTitle: "Connexion",
    numenIntro:
      "Veuillez saisir votre NUMEN et votre date de naissance pour accéder aux informations relatives à votre compte.",
    numenField: "NUMEN",
    numenHint: "13 caractères : 2 chiffres, 1 lettre, 7 chiffres et 3 lettres, par exemple 12A3456789ABC.",
    birthField: "Date de naissance",
    birthHint: "Format JJ/MM/AAAA (ex : 01/01/1993)",
    typeField: "Type de compte",
    typeAcademique: (domain: string) => `Compte académique (@${domain})`,
    typeFonctionnel: (domain: string) => `Compte fonctionnel d'établissement (ce.…@${domain})`,
    submit: "Valider",
    fieldProblems: {
      numen: {
        missing: "Saisissez votre NUMEN.",
        format:
          "Le NUMEN comporte 13 caractères : 2 chiffres, 1 lettre, 7 chiffres et 3 lettres (ex : 12A3456789ABC). Vérifiez chaque caractère.",
      },
      birthDate: {
        missing: "Saisissez votre date de naissance.",
        format: "Écrivez la date au format JJ/MM/AAAA, par exemple 01/01/1993.",
        impossible: "Cette date n'existe pas : vérifiez le jour et le mois (format JJ/MM/AAAA).",
        out_of_range: "Cette date ne peut pas être une date de naissance : vérifiez l'année.",
      },
      accountType: { unknown: "Choisissez un type de compte dans la liste." },
      identifier: { missing: "Saisissez votre identifiant ou votre adresse de secours." },
      email: {
        format: "Saisissez une adresse électronique valide (ex : prenom.nom@exemple.fr).",
        inside_domain:
          "Choisissez une adresse personnelle, hors de la messagerie académique : elle doit fonctionner même quand votre compte ne fonctionne plus.",
      },
    },
    notIdentified: "Les informations saisies ne permettent pas de vous identifier.",
    throttled: (retry: string) => `Trop de tentatives avec ce NUMEN. Par sécurité, réessayez à partir de ${retry}.`,
    infoTitle: "Informations de votre compte",
    usernameIs: "Votre nom d'utilisateur est :",
    addressIs: "Votre adresse électronique :",
    stateInitial: "Votre mot de passe est encore le mot de passe initial (votre NUMEN).",
    statePersonal: "Vous avez choisi un mot de passe personnel.",
    stateMustChange: "Aucun mot de passe n'est encore défini pour ce compte.",
    noteUsername: "Notez bien votre nom d'utilisateur : il vous servira à vous connecter au webmail.",
    functionalIntro: "Comptes fonctionnels que vous détenez :",
    changePassword: "Modifier mon mot de passe",
    changePasswordOf: (username: string) => `Modifier le mot de passe de ${username}`,
    logout: "se déconnecter",
    passwordTitle: (username: string) => `Nouveau mot de passe pour ${username}`,
    passwordChanged: (username: string) =>
      `Le mot de passe de ${username} a été modifié. Toutes les sessions ouvertes avec ce compte ont été fermées, et un message de confirmation a été envoyé.`,
    recoveryExpired: "Votre session d'assistance a expiré (10 minutes). Identifiez-vous à nouveau.",
    loginTitle: "Connexion",
    loginIntro:
      "Veuillez saisir votre identifiant et votre mot de passe pour accéder aux informations relatives à votre compte.",
    loginIdentifier: "Identifiant",
    loginPassword: "Mot de passe",
    loginSubmit: "Connexion",
    loggedOut: "Vous êtes déconnecté de l'assistance.",
    accountTitle: "Mon compte",
    currentPassword: "Mot de passe actuel",
    recoveryTitle: "Adresse de secours",
    recoveryNone: "Aucune adresse de secours n'est enregistrée.",
    recoveryIs: (email: string) => `Adresse de secours confirmée : ${email}`,
    recoveryHelp:
      "Une adresse personnelle (hors académie) permet de recevoir un lien si vous oubliez votre mot de passe.",
    recoveryField: "Nouvelle adresse de secours",
    recoverySend: "Recevoir un code de confirmation",
    recoveryPasswordHint:
      "Par sécurité, changer d'adresse de secours demande votre mot de passe actuel (valable 5 minutes). Pendant 7 jours, l'ancienne adresse reste prévenue et reçoit les liens de réinitialisation.",
    recoveryRemove: "Supprimer l'adresse de secours",
    recoveryRemoveHint: "Par sécurité, supprimer l'adresse de secours demande votre mot de passe actuel.",
    recoveryRemoved: "Votre adresse de secours a été supprimée. Un message a été envoyé à cette adresse.",
    recoveryPasswordMissing: "Saisissez votre mot de passe actuel pour modifier l'adresse de secours.",
    recoveryRemovePasswordMissing: "Saisissez votre mot de passe actuel pour supprimer l'adresse de secours.",
    recoveryPasswordWrong: "Le mot de passe saisi n'est pas le bon.",
    forwardingOff:
      "Par sécurité, le transfert de vos messages vers une autre adresse a été désactivé. Vous pourrez le rétablir dans les Paramètres du webmail.",
    cancelChangeTitle: "Annuler le changement d'adresse de secours",
    cancelChangeText: (restored: string, username: string) =>
      `Le compte ${username} retrouvera ${restored} comme adresse de secours, et toutes ses sessions ouvertes seront fermées.`,
    cancelChangeSubmit: "Annuler le changement",
    cancelChangeDone: (restored: string) =>
      `Le changement a été annulé : ${restored} est de nouveau l'adresse de secours du compte, et toutes les sessions ouvertes ont été fermées. Choisissez maintenant un nouveau mot de passe.`,
    cancelChangeReset: "Choisir un nouveau mot de passe",
    codeSent: (email: string) => `Un code à 6 chiffres a été envoyé à ${email}. Il est valable 10 minutes.`,
    codeField: "Code de confirmation",
    codeHint: "6 chiffres, reçus par message ; 3 essais.",
    codeSubmit: "Confirmer l'adresse",
    codeWrong: (left: number) =>
      left > 0
        ? `Code incorrect. Il vous reste ${left} essai${left > 1 ? "s" : ""}.`
        : "Code incorrect. Demandez un nouveau code.",
    codeExpired: "Ce code a expiré ou a été trop souvent mal saisi. Demandez un nouveau code.",
    recoveryConfirmed: "Votre adresse de secours est confirmée.",
    signInsTitle: "Dernières connexions",
    signInsDate: "Date",
    signInsIp: "Adresse IP",
    signInsApp: "Application",
    signInsNone: "Aucune connexion enregistrée.",
    appNames: { webmail: "Webmail", account: "Mon compte", assistance: "Assistance (NUMEN)" } as Record<string, string>,
    sessionsTitle: "Sessions ouvertes",
    sessionsStarted: "Ouverte le",
    sessionsDevice: "Navigateur",
    sessionsCurrent: "(cette session)",
    sessionClose: "Fermer",
    sessionClosed: "La session a été fermée.",
    resetTitle: "Choisissez un nouveau mot de passe",
    resetFor: (username: string) => `Compte : ${username}`,
    resetDone: (username: string) =>
      `Le mot de passe de ${username} a été modifié. Vous pouvez maintenant vous connecter au webmail.`,
    signInCodeTitle: "Code de vérification",
    signInCodeText: (target: string) =>
      `Pour protéger votre compte, un code à 6 chiffres vient d'être envoyé à votre adresse de secours (${target}). Il est valable 10 minutes.`,
    signInCodeRestart: "Recommencer l'identification",
    invalidLinkTitle: "Lien non valable",
    backToAssistance: "Revenir à l'Assistance",
    backToWebmail: "Aller au webmail",
    comingSoon: (phone: string) =>
      `L'Assistance à l'identification en ligne ouvre prochainement. En attendant, contactez le rectorat au ${phone}.`,
  },
  /** The account page's « Configurer un logiciel de messagerie », and the documents mail clients read. */
  mailClients: {
    title: "Configurer un logiciel de messagerie",
    automatic:
      "Thunderbird et Outlook trouvent ces réglages seuls à partir de votre adresse électronique : saisissez votre adresse et votre mot de passe, le logiciel fait le reste.",
    manual: "Pour un autre logiciel, saisissez les réglages suivants :",
    caption: "Réglages des serveurs de messagerie",
    setting: "Réglage",
    incoming: "Serveur de réception (IMAP)",
    outgoing: "Serveur d'envoi (SMTP)",
    server: "Nom du serveur",
    port: "Port",
    security: "Sécurité",
    username: "Nom d'utilisateur",
    password: "Mot de passe",
    passwordValue: "celui de votre compte",
    securityNames: { ssl: "SSL/TLS", starttls: "STARTTLS", none: "aucune (depuis le serveur lui-même uniquement)" },
    alternative: (port: number, security: string) =>
      `Si votre logiciel ne propose pas SSL/TLS pour la réception : port ${port}, sécurité ${security}.`,
    usernameHint: (address: string) =>
      `Votre adresse électronique (${address}) est aussi acceptée comme nom d'utilisateur.`,
    noEncryption:
      "Ce serveur n'a pas encore de certificat : sans chiffrement, un logiciel de messagerie ne peut s'y connecter que depuis le serveur lui-même. Les ordinateurs et téléphones de votre réseau ne le pourront qu'une fois le certificat installé.",
    appleTitle: "iPhone, iPad et Mac",
    profileLink: "Télécharger le profil de configuration (iPhone, iPad, Mac)",
    profileHint:
      "Ouvrez le fichier sur l'appareil, puis installez le profil dans Réglages. Votre mot de passe n'est pas dans le profil : l'appareil vous le demandera.",
    /** Thunderbird's displayName, the profile's name. */
    providerName: (academie: string) => `Messagerie de l'${academie}`,
    profileDescription: (address: string) => `Configure le compte de messagerie ${address} (réception et envoi).`,
    profileAccount: (address: string) => `Messagerie académique (${address})`,
  },
  mail: {
    signedInAs: "Connecté en tant que",
    forwardingBanner: (address: string) => `Vos messages sont transférés vers ${address}.`,
    forwardingChange: "Modifier le transfert",
    logout: "Se déconnecter",
    /** The special folders' names (whatever the store calls them). */
    roles: SPECIAL_FOLDER_NAMES,
    foldersTitle: "Dossiers",
    unreadCount: (n: number) => (n === 1 ? "1 non lu" : `${n} non lus`),
    manageFolders: "Gérer les dossiers",
    quotaLabel: "Espace utilisé",
    quotaText: (used: string, limit: string, percent: string) => `${used} utilisés sur ${limit} (${percent})`,
    folderSummary: (total: number, unread: number) =>
      `${total === 0 ? "Aucun message" : total === 1 ? "1 message" : `${total} messages`}${unread > 0 ? `, dont ${unread === 1 ? "1 non lu" : `${unread} non lus`}` : ""}.`,
    empty: "Aucun message dans ce dossier.",
    noSubject: "(sans objet)",
    unknownSender: "(expéditeur inconnu)",
    toPrefix: "À : ",
    unread: "Non lu",
    flagged: "Suivi",
    hasAttachments: "Pièces jointes",
    folderOf: (name: string) => `Dossier : ${name}`,
    select: (subject: string, from: string) => `Sélectionner le message « ${subject} » de ${from}`,
    selectAll: "Tout sélectionner",
    messagesLabel: "Messages",
    actionsLabel: "Actions sur les messages sélectionnés",
    markRead: "Marquer comme lu",
    markUnread: "Marquer comme non lu",
    flag: "Suivre",
    unflag: "Ne plus suivre",
    moveTo: "Déplacer vers",
    moveChoose: "Choisir un dossier",
    move: "Déplacer",
    remove: "Supprimer",
    removeForGood: "Supprimer définitivement",
    /** « Signaler un filoutage » (reading view, list toolbar) and its way back from Indésirables. */
    reportPhishing: "Signaler un filoutage",
    notJunk: "Ce message n'est pas indésirable",
    notJunkSelected: "Pas indésirable",
    emptyTrash: "Vider la corbeille",
    older: "Messages plus anciens",
    newest: "Messages les plus récents",
    paginationLabel: "Pages de messages",
    done: {
      lus: (n: number) => (n === 1 ? "1 message marqué comme lu." : `${n} messages marqués comme lus.`),
      "non-lus": (n: number) => (n === 1 ? "1 message marqué comme non lu." : `${n} messages marqués comme non lus.`),
      suivis: (n: number) => (n === 1 ? "1 message suivi." : `${n} messages suivis.`),
      "non-suivis": (n: number) => (n === 1 ? "1 message n'est plus suivi." : `${n} messages ne sont plus suivis.`),
      deplaces: (n: number) => (n === 1 ? "1 message déplacé." : `${n} messages déplacés.`),
      supprimes: (n: number) => (n === 1 ? "1 message supprimé." : `${n} messages supprimés.`),
      signales: (n: number) =>
        n <= 1 ? "Merci, le message a été signalé." : `Merci, les ${n} messages ont été signalés.`,
      "non-indesirables": (n: number) =>
        n === 0
          ? "Aucun message n'était dans les indésirables."
          : n === 1
            ? "Le message a été remis dans la boîte de réception."
            : `${n} messages ont été remis dans la boîte de réception.`,
      "corbeille-videe": (n: number) =>
        n === 0
          ? "La corbeille était déjà vide."
          : `La corbeille a été vidée : ${n === 1 ? "1 message supprimé" : `${n} messages supprimés`} définitivement.`,
      "dossier-cree": (_n: number) => "Le dossier a été créé.",
      "dossier-renomme": (_n: number) => "Le dossier a été renommé.",
      "dossier-supprime": (_n: number) => "Le dossier a été supprimé ; ses messages ont été placés dans la corbeille.",
      contact: (_n: number) => "L'expéditeur a été ajouté à vos contacts.",
      /** After "Envoyer": `n` external recipients whose copy waits in the outbound queue. */
      envoye: (n: number) =>
        n === 0
          ? "Message envoyé."
          : `Message envoyé. La copie destinée à ${n === 1 ? "1 destinataire extérieur à l'académie" : `${n} destinataires extérieurs à l'académie`} est en file d'attente : il partira dès que possible.`,
    },
    noSelection: "Sélectionnez au moins un message.",
    noDestination: "Choisissez le dossier vers lequel déplacer les messages.",
    emptyTrashTitle: "Vider la corbeille",
    emptyTrashConfirm: (n: number) =>
      n === 0
        ? "La corbeille est vide."
        : `${n === 1 ? "Le message de la corbeille sera supprimé" : `Les ${n} messages de la corbeille seront supprimés`} définitivement. Cette action est irréversible.`,
    emptyTrashSubmit: "Vider définitivement la corbeille",
    cancel: "Annuler",
    backTo: (name: string) => `Revenir au dossier ${name}`,
    // Folder management
    manageTitle: "Gérer les dossiers",
    yourFolders: "Vos dossiers",
    noUserFolders: "Vous n'avez pas encore créé de dossier.",
    specialNote:
      "Les dossiers de base (Boîte de réception, Brouillons, Envoyés, Indésirables, Corbeille) ne peuvent être ni renommés ni supprimés.",
    createTitle: "Créer un dossier",
    folderName: "Nom du dossier",
    folderNameHint: "De 1 à 100 caractères, sans « / ».",
    folderNameMissing: "Saisissez le nom du dossier.",
    parent: "Placer dans",
    parentNone: "Aucun dossier (à la racine)",
    create: "Créer le dossier",
    rename: "Renommer",
    renameOf: (name: string) => `Renommer le dossier ${name}`,
    renameTitle: (name: string) => `Renommer le dossier « ${name} »`,
    newName: "Nouveau nom",
    renameSubmit: "Enregistrer le nouveau nom",
    deleteOf: (name: string) => `Supprimer le dossier ${name}`,
    deleteTitle: (name: string) => `Supprimer le dossier « ${name} »`,
    deleteConfirm: (total: number, subfolders: number) => {
      const subs =
        subfolders === 0
          ? ""
          : subfolders === 1
            ? "Son sous-dossier sera supprimé aussi. "
            : `Ses ${subfolders} sous-dossiers seront supprimés aussi. `;
      const messages =
        total === 0
          ? "Il ne contient aucun message."
          : total === 1
            ? "Son message sera placé dans la corbeille."
            : `Ses ${total} messages seront placés dans la corbeille.`;
      return `${subs}${messages}`;
    },
    deleteSubmit: "Supprimer le dossier",
    // Reading
    from: "De",
    to: "À",
    cc: "Cc",
    replyTo: "Répondre à",
    date: "Date",
    subject: "Objet",
    headersLabel: "En-têtes du message",
    frameTitle: "Contenu du message",
    noBody: "Ce message n'a pas de contenu.",
    remoteBlocked:
      "Pour protéger votre vie privée, les images et contenus distants de ce message ont été bloqués : l'expéditeur pourrait savoir que vous l'avez ouvert.",
    showRemote: "Afficher les images distantes",
    remoteShown: "Les images distantes de ce message sont affichées.",
    attachmentsTitle: "Pièces jointes",
    attachmentLabel: (name: string, size: string) => `${name} (${size})`,
    threadTitle: "Conversation",
    threadCount: (n: number) => (n === 1 ? "1 autre message" : `${n} autres messages`),
    messageActions: "Actions sur ce message",
    // How a sender is shown
    /** In a list, beside the name: the domain of the real address. */
    senderDomain: (domain: string) => `(adresse chez ${domain})`,
    /** A domain (or an address) whose characters mix alphabets, with its ASCII (punycode) form. */
    withAscii: (unicode: string, ascii: string) => `${unicode}, soit ${ascii}`,
    /** In a list, after an address whose domain mixes alphabets. */
    asciiDomain: (ascii: string) => `(soit ${ascii})`,
    mixedScriptsWarning: (unicode: string, ascii: string) =>
      `Attention : le domaine de l'expéditeur, « ${unicode} », mélange des caractères de plusieurs alphabets et peut imiter un autre domaine. Son nom exact est ${ascii}.`,
    nameHasAddressWarning: (address: string) =>
      `Attention : le nom affiché de l'expéditeur contient une adresse électronique qui n'est pas la sienne. Son adresse réelle est ${address}.`,
    repliesGoTo: (list: string) => `Les réponses iront à ${list}, et non à l'adresse de l'expéditeur.`,
    // What the reception found about the sender (most serious first)
    inboundWarningsLabel: "Avertissements sur l'expéditeur",
    lookalikeWarning: (domain: string, imitates: string) =>
      `Attention : l'adresse de l'expéditeur imite celle de l'académie (${domain} n'est pas ${imitates}).`,
    unverifiedWarning: "L'expéditeur de ce message n'a pas pu être vérifié.",
    impersonationWarning: (address: string) =>
      `Attention : le nom affiché de l'expéditeur se présente comme un service de l'académie, mais le message vient de l'adresse extérieure ${address}.`,
    outsideWarning: "Ce message provient d'un expéditeur extérieur à l'académie.",
    credentialsWarning: "Ne répondez à aucune sollicitation vous demandant de fournir vos identifiant et mot de passe.",
    /** The list's marker on a message whose sender imitates the académie or could not be verified. */
    lookalikeMarker: "Imitation",
    lookalikeMarkerLabel: "Expéditeur qui imite l'académie",
    unverifiedMarker: "Non vérifié",
    unverifiedMarkerLabel: "Expéditeur non vérifié",
    // Search
    searchTitle: "Rechercher",
    searchLabel: "Rechercher",
    searchHint: "Mots présents dans l'expéditeur, les destinataires, l'objet ou le message.",
    searchSubmit: "Rechercher",
    advanced: "Recherche avancée",
    searchFrom: "De",
    searchTo: "À",
    searchSubject: "Objet",
    since: "Du",
    until: "Au",
    dateHint: "Format JJ/MM/AAAA (ex : 01/09/2024)",
    withAttachments: "Avec pièces jointes",
    inFolder: "Dossier",
    allFolders: "Tous les dossiers",
    dateFormat: "Écrivez la date au format JJ/MM/AAAA, par exemple 01/09/2024.",
    dateImpossible: "Cette date n'existe pas : vérifiez le jour et le mois (format JJ/MM/AAAA).",
    dateOrder: "La date de fin doit être postérieure ou égale à la date de début.",
    resultsTitle: "Résultats",
    folderUnknown: "Choisissez un dossier dans la liste.",
    folderLimit:
      "Ce dossier ne peut pas être créé ici : les dossiers sont imbriqués trop profondément, ou vous avez atteint le nombre maximal de dossiers.",
    resultsCount: (n: number, more: boolean) =>
      n === 0
        ? "Aucun message ne correspond à votre recherche."
        : more
          ? `${n} messages correspondent à votre recherche sur cette page ; d'autres, plus anciens, suivent.`
          : `${n === 1 ? "1 message correspond" : `${n} messages correspondent`} à votre recherche.`,
    // Keyboard shortcuts
    shortcutsTitle: "Raccourcis clavier",
    shortcutsAnnounce: "Raccourcis clavier disponibles : appuyez sur ? pour les afficher.",
    shortcutsIntro:
      "Ces raccourcis fonctionnent lorsque JavaScript est activé, jamais pendant la saisie dans un champ. Toutes ces actions restent possibles avec la touche Tab et les boutons de la page.",
    shortcutsEnable: "Activer les raccourcis clavier à une touche",
    shortcuts: [
      ["j", "Message suivant dans la liste"],
      ["k", "Message précédent dans la liste"],
      ["Entrée", "Ouvrir le message sélectionné"],
      ["r", "Marquer comme lu / non lu"],
      ["f", "Suivre / Ne plus suivre"],
      ["Suppr", "Supprimer"],
      ["?", "Afficher ou masquer cette aide"],
    ] as ReadonlyArray<readonly [string, string]>,
    shortcutKey: "Touche",
    shortcutAction: "Action",
    // The mailbox's layout: top bar, menu, list, reading pane.
    accountMenu: "Votre compte",
    openMenu: "Dossiers",
    closeMenu: "Fermer le menu des dossiers",
    /** Said before an unread message's sender (the list shows a dot and bold text). */
    unreadWords: "non lu",
    answered: "Répondu",
    conversationCount: (n: number) => (n === 1 ? "1 message" : `${n} messages`),
    conversationLabel: (n: number, unread: number) =>
      `Conversation de ${n} messages${unread > 0 ? `, dont ${unread === 1 ? "1 non lu" : `${unread} non lus`}` : ""}`,
    sizeLabel: "Taille",
    /** The list's toolbar: the words shown beside each icon end its accessible name (WCAG 2.5.3). */
    tools: {
      markRead: ["Marquer comme ", "lu"],
      markUnread: ["Marquer comme ", "non lu"],
      flag: ["", "Suivre"],
      unflag: ["", "Ne plus suivre"],
      remove: ["", "Supprimer"],
      removeForGood: ["", "Supprimer définitivement"],
      report: ["", "Signaler un filoutage"],
      notJunk: ["Ces messages ne sont ", "pas indésirables"],
    } as const,
    moreActions: "Plus",
    moreListActions: "Plus d'actions",
    moveMenu: "Déplacer vers",
    readingPane: "Volet de lecture",
    paneEmpty: "Sélectionnez un message dans la liste pour le lire ici.",
    backToList: (name: string) => `Revenir à la liste : ${name}`,
    recipientsMore: (n: number) => (n === 1 ? "et 1 autre" : `et ${n} autres`),
    recipientsAll: "Afficher tous les destinataires",
    downloadAll: "Télécharger tout",
    downloadAllLabel: (n: number) => `Télécharger les ${n} pièces jointes (fichier ZIP)`,
    attachmentKinds: {
      image: "Image",
      pdf: "PDF",
      text: "Texte",
      sheet: "Tableur",
      slides: "Présentation",
      doc: "Document",
      archive: "Archive",
      audio: "Son",
      video: "Vidéo",
      calendar: "Invitation",
      other: "Fichier",
    },
    openConversation: "Ouvrir la conversation",
    live: {
      opened: "Message ouvert dans le volet de lecture.",
      read: "Message marqué comme lu.",
      unread: "Message marqué comme non lu.",
      flagged: "Message suivi.",
      unflagged: "Message qui n'est plus suivi.",
      removed: "Message supprimé.",
      failed: "L'action n'a pas pu être effectuée. Rechargez la page et réessayez.",
    },
  },
  compose: {
    newMessage: "Nouveau message",
    titles: {
      new: "Nouveau message",
      reply: "Répondre",
      replyAll: "Répondre à tous",
      forward: "Transférer",
      forwardAttached: "Transférer en pièce jointe",
      draft: "Reprendre le brouillon",
    },
    reply: "Répondre",
    replyAll: "Répondre à tous",
    forward: "Transférer",
    forwardAttached: "Transférer en pièce jointe",
    resumeDraft: "Reprendre le brouillon",
    replyActions: "Répondre ou transférer",
    to: "À",
    cc: "Cc",
    bcc: "Cci",
    subject: "Objet",
    body: "Message",
    attachments: "Pièces jointes",
    addressHint: (domain: string) => `Séparez les adresses par des virgules (ex : prenom.nom@${domain}).`,
    bccHint: "Les destinataires en copie cachée ne sont pas vus des autres destinataires.",
    attachmentsHint: (max: string) => `Vous pouvez choisir plusieurs fichiers ; ${max} au plus au total.`,
    reattach:
      "Pour votre sécurité, les fichiers choisis ne sont pas conservés quand le formulaire contient une erreur : joignez-les à nouveau.",
    forwardedAttached: (subject: string) => `Le message « ${subject} » sera joint à votre message.`,
    richToggle: "Mise en forme",
    richToolbar: "Outils de mise en forme",
    richLabel: "Message mis en forme",
    richHint: "Le message est aussi envoyé en texte simple, sans la mise en forme.",
    richBold: "Gras",
    richItalic: "Italique",
    richBullets: "Liste à puces",
    richNumbers: "Liste numérotée",
    richLink: "Lien",
    richLinkPrompt: "Adresse du lien (commençant par https://) :",
    draftFiles: "Pièces jointes du brouillon",
    keepFile: (name: string, size: string) => `Conserver « ${name} » (${size})`,
    draftFilesGone:
      "Le brouillon n'existe plus (envoyé ou supprimé entre-temps) : ses pièces jointes ne peuvent pas être reprises. Joignez les fichiers à nouveau.",
    send: "Envoyer",
    saveDraft: "Enregistrer le brouillon",
    cancel: "Annuler",
    draftSaved: "Brouillon enregistré.",
    draftSavedAt: (time: string) => `Brouillon enregistré à ${time}.`,
    draftNotSaved: "Le brouillon n'a pas pu être enregistré automatiquement.",
    progressLabel: "Envoi du message",
    progressText: (percent: string) => `Envoi en cours : ${percent}`,
    progressFailed: "L'envoi a échoué. Vérifiez votre connexion et réessayez.",
    quoteIntro: (date: string, who: string) => `Le ${date}, ${who} a écrit :`,
    forwardHeader: "-------- Message transféré --------",
    forwardFrom: "De",
    forwardDate: "Date",
    forwardSubject: "Objet",
    forwardTo: "À",
    replyPrefix: "RE: ",
    forwardPrefix: "TR: ",
    invalidAddresses: (list: string) => `Adresses à corriger : ${list}.`,
    fileEmpty: (name: string) => `Le fichier « ${name} » est vide (0 octet) : choisissez un autre fichier.`,
    fileTooLarge: (name: string, max: string) => `Le fichier « ${name} » dépasse la taille maximale (${max}).`,
    filesTooLarge: (max: string) => `Les pièces jointes dépassent ensemble la taille maximale (${max}).`,
    fileBadName: (name: string) =>
      `Le nom du fichier « ${name} » contient des caractères non autorisés (chemin, caractères de contrôle ou d'inversion du sens d'écriture) : renommez-le puis joignez-le à nouveau.`,
    tooManyFiles: (n: number) => `Vous pouvez joindre au plus ${n} fichiers.`,
    sendingLimitUntil: (time: string) => `Vous pourrez envoyer de nouveau à partir de ${time}.`,
  },
  /** « Vous allez quitter la messagerie » (the links of a flagged message) and « Afficher la source ». */
  leave: {
    title: "Vous allez quitter la messagerie",
    flagged:
      "L'expéditeur de ce message appelle à la prudence (adresse qui imite l'académie, expéditeur non vérifié ou qui se fait passer pour un autre) : vérifiez où mène ce lien avant de continuer.",
    intro: "Ce lien mène à un site extérieur à la messagerie.",
    addressLabel: "Adresse complète du lien",
    domainLabel: "Site où mène le lien",
    asciiForm: (ascii: string) => `écrit ${ascii} dans l'adresse`,
    advice:
      "Ne saisissez jamais votre identifiant ni votre mot de passe académique sur un site dont vous n'êtes pas certain. En cas de doute, revenez au message et signalez-le.",
    actionsLabel: "Suivre le lien ou revenir au message",
    continue: "Continuer",
    back: "Revenir au message",
    refusedTitle: "Lien refusé",
    notInMessage:
      "Ce lien ne figure pas dans ce message : la messagerie ne l'ouvre pas. Seuls les liens web (http ou https) du message peuvent être suivis depuis cette page.",
  },
  source: {
    link: "Afficher la source",
    title: "Source du message",
    intro:
      "Le message tel qu'il a été reçu, en-têtes compris. L'assistance peut vous demander ces informations pour analyser un message.",
    latin1: "Ce message n'est pas écrit en UTF-8 : il est affiché comme du texte ISO-8859-1.",
    truncated: (shown: string, total: string) =>
      `Seul le début du message est affiché (${shown} sur ${total}) : téléchargez-le pour le voir en entier.`,
    download: "Télécharger le message (.eml)",
    contentLabel: "Source du message",
    back: "Revenir au message",
  },
  session: {
    warningTitle: "Votre session va expirer",
    warningText: (mins: string) => `Sans action de votre part, vous serez déconnecté dans ${mins}.`,
    extend: "Prolonger la session",
    extended: "Votre session a été prolongée.",
  },
  errors: {
    notFoundTitle: "Page introuvable",
    notFound: "La page demandée n'existe pas. Vérifiez l'adresse ou revenez à l'accueil.",
    badRequestTitle: "Demande incorrecte",
    badRequest: "La demande envoyée n'a pas pu être lue. Revenez à la page précédente et réessayez.",
    tooLargeTitle: "Demande trop volumineuse",
    tooLarge: "Les informations envoyées dépassent la taille autorisée.",
    unsupportedTitle: "Format non pris en charge",
    unsupported: "Le format des informations envoyées n'est pas pris en charge.",
    forbiddenTitle: "Formulaire expiré",
    forbidden:
      "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page. Revenez à la page, rechargez-la et réessayez.",
    tooManyTitle: "Trop de demandes",
    overloadedTitle: "Service très sollicité",
    overloaded: "Le service reçoit beaucoup de demandes en ce moment. Réessayez dans quelques secondes.",
    serverTitle: "Service momentanément indisponible",
    server: "Une erreur est survenue de notre côté. Réessayez dans quelques instants.",
    tooLong: "Ce champ est trop long.",
    invalidChars: "Ce champ contient des caractères non autorisés.",
    backHome: "Revenir à l'accueil",
  },
  /** One French message per domain error code (a test checks that none is missing). */
  codes: {
    VALIDATION_FAILED: "Certaines informations saisies sont incorrectes.",
    INVALID_NUMEN:
      "Le NUMEN comporte 13 caractères : 2 chiffres, 1 lettre, 7 chiffres et 3 lettres (ex : 12A3456789ABC).",
    INVALID_UAI: "Le code UAI comporte 7 chiffres suivis d'une lettre de contrôle (ex : 0690026D).",
    INVALID_DATE: "La date doit être une date réelle au format JJ/MM/AAAA (ex : 01/01/1993).",
    INVALID_NAME: "Le nom et le prénom sont obligatoires.",
    INVALID_EMAIL: "L'adresse électronique n'est pas valide (ex : prenom.nom@exemple.fr).",
    NOT_FOUND: "Aucun élément ne correspond à votre demande.",
    CONFLICT: "Cette opération n'est pas possible dans l'état actuel.",
    CSV_INVALID: "Le fichier n'est pas un fichier CSV valide.",
    FILE_UNREADABLE: "Le fichier n'a pas pu être lu.",
    IMPORT_TOO_MANY_REJECTED: "Trop de lignes sont en erreur : rien n'a été importé.",
    INVALID_CREDENTIALS: "Nom d'utilisateur ou mot de passe incorrect.",
    THROTTLED: "Trop de tentatives. Par sécurité, réessayez plus tard.",
    RATE_LIMITED: "Trop de demandes en peu de temps. Patientez un instant avant de réessayer.",
    CHALLENGE_REQUIRED: "Une vérification anti-robot est nécessaire avant de continuer.",
    PASSWORD_TOO_WEAK: "Le mot de passe choisi ne respecte pas les règles.",
    OVERLOADED: "Le service reçoit beaucoup de demandes en ce moment. Réessayez dans quelques secondes.",
    SESSION_EXPIRED: "Votre session a expiré. Connectez-vous à nouveau.",
    CSRF_REJECTED: "Ce formulaire a expiré. Rechargez la page et réessayez.",
    IDENTIFICATION_FAILED: "Les informations saisies ne permettent pas de vous identifier.",
    INVALID_LINK: "Ce lien n'est pas valable : il a expiré, a déjà servi ou a été remplacé par un lien plus récent.",
    INVALID_CODE: "Le code saisi est incorrect ou a expiré.",
    MAIL_UNAVAILABLE:
      "Le message n'a pas pu être envoyé pour le moment. Réessayez dans quelques minutes ; si le problème persiste, contactez l'assistance.",
    RECIPIENT_UNKNOWN: "Cette adresse ne correspond à aucune boîte aux lettres active de l'académie.",
    QUOTA_EXCEEDED:
      "La boîte aux lettres est pleine. Supprimez des messages (et videz la corbeille) pour libérer de la place.",
    MESSAGE_TOO_LARGE: "Le message dépasse la taille maximale autorisée.",
    MESSAGE_MALFORMED: "Le message est mal formé et n'a pas pu être lu.",
    FOLDER_EXISTS: "Un dossier porte déjà ce nom à cet endroit. Choisissez un autre nom.",
    FOLDER_PROTECTED: "Ce dossier fait partie des dossiers de base : il ne peut être ni renommé ni supprimé.",
    INVALID_FOLDER_NAME: "Le nom du dossier doit comporter de 1 à 100 caractères, sans « / » ni caractère de contrôle.",
    INVALID_RECIPIENTS:
      "Certaines adresses ne sont pas valides. Corrigez-les (ex : prenom.nom@ac-lyon.fr) et séparez-les par des virgules.",
    NO_RECIPIENT: "Indiquez au moins un destinataire dans À, Cc ou Cci.",
    TOO_MANY_RECIPIENTS:
      "Ce message a trop de destinataires. Envoyez-le en plusieurs fois ou utilisez une liste de diffusion.",
    HEADER_INJECTION: "Ce champ ne peut pas contenir de retour à la ligne.",
    ATTACHMENT_TOO_LARGE: "Les pièces jointes dépassent la taille autorisée.",
    SENDING_LIMIT:
      "Vous avez atteint la limite d'envoi (nombre de destinataires par heure). Réessayez plus tard ; si vous avez besoin d'envoyer davantage, contactez l'assistance.",
    SENDER_MISMATCH: "L'expéditeur du message doit être votre propre adresse.",
    CONTACT_EXISTS: "Cette adresse est déjà dans vos contacts.",
    VCARD_INVALID: "Ce fichier n'est pas un fichier de contacts vCard (.vcf) lisible.",
    REAUTH_REQUIRED: "Pour cette modification, saisissez à nouveau votre mot de passe actuel.",
    SECURITY_KEY_REFUSED: "La clé de sécurité n'a pas été reconnue, ou la demande a expiré. Réessayez.",
    LAST_SECOND_FACTOR: "C'est votre seul moyen de double authentification : ajoutez-en un autre avant de la retirer.",
  } satisfies Record<ErrorCode, string>,
} as const;
