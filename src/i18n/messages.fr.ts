/**
 * The French texts of the messages Sésame sends (password changed, reset link, verification code),
 * beside the pages' texts (fr.ts). Plain text (no HTML): a link stands alone on its line so that
 * every mail client makes it clickable, and no message ever carries a password or a NUMEN.
 */
/** The configured values the texts use (a `Config` fits). */
export interface MessageContext {
  readonly academieName: string;
  readonly publicUrl: string;
  readonly rectoratPhone: string;
}

/** A message to one address (plain text, `\n` line breaks): what the mail module sends. */
export interface OutboundMessage {
  to: string;
  subject: string;
  text: string;
}

/** The subject of an automatic reply when the person gave none. */
export function autoReplySubject(original: string): string {
  return `Réponse automatique : ${original}`.trim();
}

/** "15 janvier 2026 à 09 h 00", in the académie's time zone. */
export function parisDateTime(date: Date): string {
  const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" }).format(date);
  const time = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" })
    .format(date)
    .replace(":", " h ");
  return `${day} à ${time}`;
}

function minutes(n: number): string {
  return n <= 1 ? "1 minute" : `${n} minutes`;
}

function fromAddress(ip: string | null | undefined): string {
  return ip ? ` (adresse IP ${ip})` : "";
}

/** The closing lines of every message ("-- " is the signature separator mail clients recognise). */
export function signature(ctx: MessageContext): string {
  return [
    "-- ",
    `Sésame — ${ctx.academieName}`,
    "Message envoyé automatiquement : merci de ne pas y répondre.",
    "L'académie ne vous demandera jamais votre mot de passe, ni par message, ni par téléphone.",
  ].join("\n");
}

/** The address of one of the service's pages. */
function pageUrl(ctx: MessageContext, path: string): string {
  return `${ctx.publicUrl.replace(/\/+$/, "")}${path}`;
}

export function assistanceUrl(ctx: MessageContext): string {
  return pageUrl(ctx, "/assistance");
}

/**
 * The last lines of a notice of a change the reader may not have made: nothing to do if they made
 * it; otherwise `ifNot` (what it may mean, what to undo), then `chooseNewPassword` with the
 * Assistance's address, a call to the rectorat, and the signature.
 */
function ifNotYourChange(ctx: MessageContext, ifNot: readonly string[], chooseNewPassword: string): string[] {
  return [
    "Si vous êtes à l'origine de ce changement, vous n'avez rien à faire.",
    "",
    ...ifNot,
    chooseNewPassword,
    `  ${assistanceUrl(ctx)}`,
    `- puis prévenez l'assistance du rectorat au ${ctx.rectoratPhone}.`,
    "",
    signature(ctx),
  ];
}

const VIA = {
  assistance: "l'Assistance à l'identification",
  webmail: "le webmail",
} as const;

/**
 * Sent to the account's own mailbox and to its recovery address after a password
 * change ("Votre mot de passe a été modifié le … depuis …; si ce n'est pas vous, …").
 */
export function passwordChangedMessage(
  ctx: MessageContext,
  input: {
    readonly to: string;
    readonly username: string;
    readonly address: string;
    readonly at: Date;
    readonly via: keyof typeof VIA;
    readonly ip?: string | null;
    /** The address forwarding went to, turned off with this change. */
    readonly forwardingOff?: string | null;
  },
): OutboundMessage {
  const text = [
    "Bonjour,",
    "",
    `Le mot de passe de votre compte ${input.username} (${input.address}) a été modifié le ${parisDateTime(input.at)} depuis ${VIA[input.via]}${fromAddress(input.ip)}.`,
    "",
    ...(input.forwardingOff
      ? [
          `Par sécurité, le transfert de vos messages vers ${input.forwardingOff} a été désactivé. Si vous souhaitez le rétablir, faites-le dans les Paramètres du webmail.`,
          "",
        ]
      : []),
    ...ifNotYourChange(
      ctx,
      ["Si ce n'est pas vous, quelqu'un connaît peut-être vos informations de connexion :"],
      "- choisissez sans attendre un nouveau mot de passe avec l'Assistance à l'identification :",
    ),
  ].join("\n");
  return { to: input.to, subject: "Votre mot de passe a été modifié", text };
}

/**
 * The single-use link sent to a confirmed recovery address. The username is
 * given too: the person may have asked with their recovery address because they forgot it.
 */
export function resetLinkMessage(
  ctx: MessageContext,
  input: {
    readonly to: string;
    readonly username: string;
    readonly link: string;
    readonly validMinutes: number;
    readonly at: Date;
    readonly ip?: string | null;
  },
): OutboundMessage {
  const text = [
    "Bonjour,",
    "",
    `Une demande de réinitialisation du mot de passe du compte ${input.username} a été faite le ${parisDateTime(input.at)} sur l'Assistance à l'identification${fromAddress(input.ip)}.`,
    "",
    `Pour choisir un nouveau mot de passe, ouvrez ce lien dans les ${minutes(input.validMinutes)} :`,
    "",
    input.link,
    "",
    "Ce lien ne sert qu'une fois. Une nouvelle demande ou un changement de mot de passe l'annule.",
    "",
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.",
    "",
    signature(ctx),
  ].join("\n");
  return { to: input.to, subject: "Réinitialisation de votre mot de passe", text };
}

const CODE_PURPOSE = {
  /** Section 6: confirming a personal recovery address. */
  "recovery-address": (username: string) =>
    `Pour confirmer cette adresse comme adresse de récupération du compte ${username}, saisissez ce code sur l'Assistance à l'identification :`,
  /** Section 10: the optional second step of the NUMEN path. */
  "second-factor": (username: string) =>
    `Pour accéder aux informations du compte ${username} sur l'Assistance à l'identification, saisissez ce code :`,
} as const;

/** A 6-digit code sent to an address. */
export function verificationCodeMessage(
  ctx: MessageContext,
  input: {
    readonly to: string;
    readonly username: string;
    readonly code: string;
    readonly purpose: keyof typeof CODE_PURPOSE;
    readonly validMinutes: number;
    readonly maxAttempts: number;
  },
): OutboundMessage {
  const text = [
    "Bonjour,",
    "",
    CODE_PURPOSE[input.purpose](input.username),
    "",
    `    ${input.code}`,
    "",
    `Ce code est valable ${minutes(input.validMinutes)}, avec ${input.maxAttempts} essais au plus. Ne le communiquez à personne.`,
    "",
    "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.",
    "",
    signature(ctx),
  ].join("\n");
  return { to: input.to, subject: "Votre code de vérification", text };
}

/**
 * The bounce (non-delivery report) put in the sender's inbox when an external recipient
 * refused a message or could not be reached for 5 days. `detail`: the distant server's answer.
 */
export function bounceMessage(p: {
  recipient: string;
  subject: string;
  sentAt: Date;
  reason: "refused" | "expired";
  detail: string | null;
}): { subject: string; text: string } {
  const why =
    p.reason === "refused"
      ? "Le serveur de messagerie du destinataire a refusé le message."
      : "Le serveur de messagerie du destinataire est resté injoignable pendant 5 jours ; l'envoi a été abandonné.";
  return {
    subject: `Non distribué : ${p.subject || "(sans objet)"}`,
    text: [
      "Bonjour,",
      "",
      `Votre message « ${p.subject || "(sans objet)"} », envoyé le ${parisDateTime(p.sentAt)}, n'a pas pu être remis à :`,
      "",
      `    ${p.recipient}`,
      "",
      why,
      ...(p.detail ? ["", `Réponse du serveur distant : ${p.detail}`] : []),
      "",
      "Vérifiez l'adresse du destinataire, puis renvoyez le message depuis le dossier Envoyés.",
      "Les autres destinataires du message ne sont pas concernés.",
      "",
      "-- ",
      "Sésame — messagerie académique",
      "Message envoyé automatiquement : merci de ne pas y répondre.",
    ].join("\n"),
  };
}

/** The settings' part of a notice: the forwarding and the away message, before and after. */
export interface SettingsChangeText {
  readonly username: string;
  readonly address: string;
  readonly at: Date;
  readonly ip: string | null;
  readonly forward: {
    readonly before: { readonly address: string | null; readonly keepCopy: boolean };
    readonly after: { readonly address: string | null; readonly keepCopy: boolean };
  } | null;
  readonly away: {
    readonly before: { readonly enabled: boolean };
    readonly after: { readonly enabled: boolean };
  } | null;
}

function forwardingState(f: { address: string | null; keepCopy: boolean }): string {
  if (f.address === null) return "désactivé";
  return `vers ${f.address}${f.keepCopy ? ", avec une copie conservée dans votre boîte" : ", sans copie conservée dans votre boîte"}`;
}

/**
 * A change of forwarding or of the away message, told to the account's mailbox and recovery
 * addresses: what changed, and how to undo it if it was not the holder.
 */
export function settingsChangedMessage(
  ctx: MessageContext,
  input: SettingsChangeText,
): { subject: string; text: string } {
  const lines: string[] = [];
  if (input.forward) {
    lines.push(
      `- Transfert des messages : ${forwardingState(input.forward.after)} (avant : ${forwardingState(input.forward.before)}).`,
    );
  }
  if (input.away) {
    const state = input.away.after.enabled
      ? input.away.before.enabled
        ? "modifié"
        : "activé"
      : input.away.before.enabled
        ? "désactivé"
        : "modifié (il reste désactivé)";
    lines.push(`- Message d'absence : ${state}.`);
  }
  const text = [
    "Bonjour,",
    "",
    `Les paramètres de messagerie de votre compte ${input.username} (${input.address}) ont été modifiés le ${parisDateTime(input.at)}${fromAddress(input.ip)} :`,
    "",
    ...lines,
    "",
    ...ifNotYourChange(
      ctx,
      [
        "Si ce n'est pas vous, quelqu'un utilise peut-être votre compte :",
        `- rétablissez vos paramètres dans le webmail, rubrique Paramètres : ${pageUrl(ctx, "/mail/parametres")}`,
      ],
      "- choisissez sans attendre un nouveau mot de passe avec l'Assistance à l'identification (cela désactive aussi le transfert et ferme toutes les sessions) :",
    ),
  ].join("\n");
  const subject = input.forward
    ? "Le transfert de vos messages a été modifié"
    : "Votre message d'absence a été modifié";
  return { subject, text };
}

/**
 * A change or removal of the recovery address: to the account's mailbox, and to the previous
 * address with the link that cancels it (for 7 days that address still receives the reset links).
 */
export function recoveryEmailChangedMessage(
  ctx: MessageContext,
  input: {
    readonly username: string;
    readonly address: string;
    readonly previous: string | null;
    readonly next: string | null;
    readonly at: Date;
    readonly ip: string | null;
    readonly cancelLink: string | null;
    readonly graceDays: number;
  },
): { subject: string; text: string } {
  const what =
    input.next === null
      ? `L'adresse de récupération ${input.previous ?? ""} a été supprimée du compte ${input.username} (${input.address})`
      : input.previous === null
        ? `L'adresse ${input.next} est désormais l'adresse de récupération du compte ${input.username} (${input.address})`
        : `L'adresse de récupération du compte ${input.username} (${input.address}) a été remplacée : ${input.previous} par ${input.next}`;
  const text = [
    "Bonjour,",
    "",
    `${what}, le ${parisDateTime(input.at)}${fromAddress(input.ip)}.`,
    "",
    ...(input.previous
      ? [
          `Pendant ${input.graceDays} jours, les liens de réinitialisation du mot de passe et les avis de sécurité continuent d'être envoyés à ${input.previous}.`,
          "",
        ]
      : []),
    "Si vous êtes à l'origine de ce changement, vous n'avez rien à faire.",
    "",
    ...(input.cancelLink
      ? [
          `Si ce n'est pas vous, annulez ce changement avec ce lien (valable ${input.graceDays} jours) : toutes les sessions du compte seront fermées.`,
          "",
          input.cancelLink,
          "",
          "Puis choisissez un nouveau mot de passe avec l'Assistance à l'identification :",
        ]
      : [
          "Si ce n'est pas vous, choisissez sans attendre un nouveau mot de passe avec l'Assistance à l'identification :",
        ]),
    `  ${assistanceUrl(ctx)}`,
    `et prévenez l'assistance du rectorat au ${ctx.rectoratPhone}.`,
    "",
    signature(ctx),
  ].join("\n");
  return {
    subject:
      input.next === null
        ? "Votre adresse de récupération a été supprimée"
        : "Votre adresse de récupération a été modifiée",
    text,
  };
}
