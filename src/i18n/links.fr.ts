/**
 * The French text the HTML sanitizer writes into a message after a link whose visible text shows
 * another web address or domain than where it goes (mail/html-sanitizer.ts, mail/deceptive-links.ts).
 */

/** `destination`: where the link really goes, as the reader is shown it (« pаypal.com (xn--pypal-4ve.com) »). */
export function deceptiveLinkMarker(destination: string): string {
  return `[lien trompeur : mène à ${destination}]`;
}

/** The marker's tooltip. */
export const DECEPTIVE_LINK_TITLE =
  "Le texte de ce lien affiche une adresse différente de celle où il mène réellement.";
