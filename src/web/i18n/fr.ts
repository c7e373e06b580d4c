/**
 * Every text a user reads, in French, in one place. Functions take the configured values
 * (académie, domain, phone) so that any académie can run Sésame.
 */
import type { ErrorCode } from "../../shared/errors.js";

export const fr = {
  appName: "Sésame",
  skipLink: "Aller au contenu",
  home: {
    title: (academie: string) => `Messagerie de l'${academie}`,
    welcome: "Bienvenue sur le webmail",
  },
  errors: {
    notFoundTitle: "Page introuvable",
    notFound: "La page demandée n'existe pas. Vérifiez l'adresse ou revenez à l'accueil.",
    badRequestTitle: "Demande incorrecte",
    badRequest: "La demande envoyée n'a pas pu être lue. Revenez à la page précédente et réessayez.",
    tooLargeTitle: "Demande trop volumineuse",
    tooLarge: "Les informations envoyées dépassent la taille autorisée.",
    serverTitle: "Service momentanément indisponible",
    server: "Une erreur est survenue de notre côté. Réessayez dans quelques instants.",
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
  } satisfies Record<ErrorCode, string>,
} as const;
