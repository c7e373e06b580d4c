/**
 * The messages of the sender display's tests, written header by header as they arrive: a display
 * name holding an address, a look-alike internationalised domain in its punycode form, a Reply-To
 * that sends answers elsewhere, and a colleague of the académie for contrast.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Account } from "../../src/directory/directory.types.js";
import type { Services } from "../../src/services.js";

/** `ac-lyon.fr` with a Cyrillic о (U+043E), and its punycode form. */
export const LOOKALIKE_UNICODE = "ac-ly\u043En.fr";
export const LOOKALIKE_ASCII = "xn--ac-lyn-0qf.fr";

function raw(headers: Record<string, string>, body: string): Buffer {
  const all: Record<string, string> = {
    "Message-ID": `<${randomUUID()}@test.example>`,
    Date: new Date().toUTCString(),
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Transfer-Encoding": "8bit",
    ...headers,
  };
  const lines = Object.entries(all).map(([name, value]) => `${name}: ${value}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body.replace(/\n/g, "\r\n")}\r\n`, "utf8");
}

export interface SenderCase {
  readonly subject: string;
  readonly raw: Buffer;
}

/** The four messages, for an account of `mailDomain`. */
export function senderCases(account: Account, mailDomain: string) {
  const to = account.address;
  return {
    spoofedName: {
      subject: "Mise à jour de votre messagerie",
      raw: raw(
        { From: `"dsi@${mailDomain}" <attacker@evil.example>`, To: to, Subject: "Mise à jour de votre messagerie" },
        "Cliquez ici pour confirmer votre mot de passe.",
      ),
    },
    lookalike: {
      subject: "Note de service",
      raw: raw(
        { From: `Direction <dsi@${LOOKALIKE_ASCII}>`, To: to, Subject: "Note de service" },
        "Veuillez trouver la note de service.",
      ),
    },
    replyElsewhere: {
      subject: "Inscription au stage",
      raw: raw(
        {
          From: `Jean Dupont <jean.dupont@${mailDomain}>`,
          "Reply-To": "Collecte <collecte@evil.example>",
          To: to,
          Subject: "Inscription au stage",
        },
        "Merci de répondre avec vos coordonnées.",
      ),
    },
    colleague: {
      subject: "Conseil pédagogique",
      raw: raw(
        {
          From: `Jean Dupont <jean.dupont@${mailDomain}>`,
          "Reply-To": `jean.dupont@${mailDomain.toUpperCase()}`,
          To: to,
          Subject: "Conseil pédagogique",
        },
        "À jeudi.",
      ),
    },
  } satisfies Record<string, SenderCase>;
}

/** Delivers one message to the account through the mail service; its id. */
export async function deliverRaw(services: Services, account: Account, message: SenderCase): Promise<number> {
  const [id] = (await services.mail.deliver(message.raw, [await services.mail.checkRecipient(account.address)]))
    .messageIds;
  assert.ok(id);
  return id;
}
