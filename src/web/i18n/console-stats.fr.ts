/** The French texts of the administration dashboard (`/console/admin`): periods, charts, tables. */
import type { SignInDoor, StatsBucket, StatsRange } from "../../console/stats.types.js";

const PARIS = "Europe/Paris";
const HOUR = new Intl.DateTimeFormat("fr-FR", { hour: "numeric", timeZone: PARIS });
const DAY_SHORT = new Intl.DateTimeFormat("fr-FR", { weekday: "short", day: "numeric", timeZone: PARIS });
const DAY_MONTH = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "short", timeZone: PARIS });
const DAY_LONG = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: PARIS,
});
const NUMBER = new Intl.NumberFormat("fr-FR");

/** "14 h" (the académie's time). */
function hourOf(iso: string): string {
  return `${Number.parseInt(HOUR.format(new Date(iso)), 10)} h`;
}

const DOORS: Readonly<Record<SignInDoor, string>> = {
  webmail: "Webmail",
  assistance: "Assistance",
  imap: "IMAP",
  submission: "Envoi SMTP",
  console: "Console",
};

export const consoleStatsFr = {
  title: "Tableau de bord",
  intro:
    "L'activité de Sésame : connexions, assistance, blocages et messagerie. Heures et jours de Paris ; les chiffres de la période en cours sont provisoires.",
  rangeNav: "Période affichée",
  ranges: { "24h": "24 heures", "7d": "7 jours", "30d": "30 jours" } satisfies Record<StatsRange, string>,
  /** « sur les dernières 24 heures » … */
  rangePhrase: {
    "24h": "sur les dernières 24 heures, par heure",
    "7d": "sur les 7 derniers jours, par jour",
    "30d": "sur les 30 derniers jours, par jour",
  } satisfies Record<StatsRange, string>,
  doors: DOORS,
  charts: {
    connexions: {
      title: "Connexions réussies",
      summary:
        "Par porte d'entrée : webmail, Assistance (« Mon compte »), IMAP et envoi SMTP (logiciels de messagerie), console.",
    },
    echecs: {
      title: "Connexions échouées",
      summary: "Par porte d'entrée : mot de passe erroné, compte inconnu ou désactivé.",
    },
    assistance: {
      title: "Parcours d'assistance",
      summary:
        "Identifications par le NUMEN (réussies, refusées), liens de réinitialisation demandés, mots de passe changés par l'assistance.",
    },
    limitations: {
      title: "Blocages",
      summary: "Blocages déclenchés (trop d'échecs, trop de demandes) et tentatives refusées pendant un blocage.",
    },
    messages: {
      title: "Messages",
      summary:
        "Reçus et refusés par le serveur de réception, envoyés par les personnes (webmail et logiciels de messagerie).",
    },
    "file-attente": {
      title: "File d'envoi vers l'extérieur",
      summary: "Messages en attente d'envoi vers l'extérieur : le plus haut relevé de chaque période.",
    },
  },
  series: {
    numen: "Identifiés par le NUMEN",
    numenFailed: "NUMEN refusés",
    link: "Liens de réinitialisation demandés",
    completed: "Mots de passe changés (parcours terminés)",
    throttleStarted: "Blocages déclenchés",
    throttleRefused: "Tentatives refusées pendant un blocage",
    received: "Reçus",
    refused: "Refusés à la réception",
    sent: "Envoyés",
    queueDepth: "En attente d'envoi (maximum)",
  },
  /** The chart's short text alternative (the `<img>`'s alt); its data is in the table that follows. */
  alt: (title: string, range: StatsRange) =>
    `Graphique « ${title} » ${consoleStatsFr.rangePhrase[range]} ; valeurs dans le tableau « Voir les données » qui suit.`,
  totalOf: (parts: readonly { label: string; value: number | null }[]) =>
    `Total sur la période : ${parts.map((p) => `${p.label} ${p.value === null ? "non mesuré" : NUMBER.format(p.value)}`).join(", ")}.`,
  highestOf: (value: number | null) =>
    value === null ? "Aucun relevé sur la période." : `Plus haut relevé sur la période : ${NUMBER.format(value)}.`,
  showData: "Voir les données",
  caption: (title: string, range: StatsRange) => `${title}, ${consoleStatsFr.rangePhrase[range]}`,
  hourColumn: "Heure",
  dayColumn: "Jour",
  total: "Total",
  highest: "Maximum",
  notMeasured: "non mesuré",
  current: "en cours",
  number: (n: number) => NUMBER.format(n),
  /** A bucket on the chart's axis: "14 h", "lun. 3", "3 mars". */
  axisLabel: (bucket: StatsBucket, range: StatsRange): string => {
    if (range === "24h") return hourOf(bucket.start);
    // Noon of the day: its name whatever the offset.
    const noon = new Date(`${bucket.day}T12:00:00Z`);
    return range === "7d" ? DAY_SHORT.format(noon) : DAY_MONTH.format(noon);
  },
  /** A bucket in the table's row header: "mardi 3 mars 2026, 14 h – 15 h", "mardi 3 mars 2026". */
  rowLabel: (bucket: StatsBucket, range: StatsRange): string => {
    const day = DAY_LONG.format(new Date(`${bucket.day}T12:00:00Z`));
    const text = range === "24h" ? `${day}, ${hourOf(bucket.start)} – ${hourOf(bucket.end)}` : day;
    return bucket.current ? `${text} (${consoleStatsFr.current})` : text;
  },
} as const;
