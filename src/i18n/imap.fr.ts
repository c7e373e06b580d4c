/**
 * The French sentences an IMAP client shows its user (RFC 9051 [ALERT]: "the human-readable text
 * contains a special alert that is presented to the user"). Everything else IMAP says is protocol
 * text for programs and operators, in English.
 */

/** An account still on its NUMEN (or an imposed) password signing in from a mail client. */
export const IMAP_MUST_CHANGE_PASSWORD =
  "Connectez-vous une première fois au webmail pour choisir votre mot de passe, puis configurez votre logiciel de messagerie avec ce nouveau mot de passe.";

/** Too many failed attempts for the account or from the address. */
export const IMAP_THROTTLED =
  "Trop de tentatives de connexion ont échoué. Patientez quelques minutes avant de réessayer, ou utilisez l'Assistance à l'identification si vous avez oublié votre mot de passe.";

/** The mailbox is full (APPEND, COPY). */
export const IMAP_OVER_QUOTA =
  "Votre boîte aux lettres est pleine : supprimez des messages et videz la Corbeille pour libérer de la place.";
