/**
 * The French text of the message « Signaler un filoutage » sends to the abuse address
 * (SESAME_ABUSE_ADDRESS), the reported message attached whole. Plain text.
 */

export interface PhishingReportFacts {
  /** The reporting account's address. */
  readonly reporter: string;
  readonly messageId: string | null;
  readonly sender: string;
  readonly subject: string;
  readonly receivedAt: Date;
  readonly reportedAt: Date;
}

function parisDateTime(date: Date): string {
  return new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" }).format(
    date,
  );
}

export function phishingReportMessage(f: PhishingReportFacts): { subject: string; text: string } {
  return {
    subject: `Signalement de filoutage par ${f.reporter}`,
    text: [
      `${f.reporter} a signalé le message joint comme une tentative de filoutage, le ${parisDateTime(f.reportedAt)}.`,
      "",
      `Expéditeur : ${f.sender || "(inconnu)"}`,
      `Objet : ${f.subject || "(sans objet)"}`,
      `Reçu le : ${parisDateTime(f.receivedAt)}`,
      `Message-ID : ${f.messageId ?? "(aucun)"}`,
      "",
      "Le message original est joint tel qu'il a été reçu (fichier .eml). Les boîtes qui l'ont reçu :",
      "sesame reports ; pour le placer dans leurs Indésirables : sesame mail quarantine --message-id.",
    ].join("\n"),
  };
}
