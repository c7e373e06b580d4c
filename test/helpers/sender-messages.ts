/**
 * Messages as received, for the mail views' tests: delivering one to an account (as local mail, or
 * as mail from outside with the reception's verdict), and the sender display's cases written header
 * by header as they arrive: a display name holding an address, a look-alike internationalised domain
 * in its punycode form, a Reply-To that sends answers elsewhere, and a colleague of the académie for
 * contrast.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Account } from "../../src/directory/directory.types.js";
import type { DeliveryMeta } from "../../src/mail/mail.types.js";
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

/** Mail from outside as the reception hands it over: the warnings are worked out from it at delivery. */
export type InboundVerdict = NonNullable<DeliveryMeta["inbound"]>;

/** A verdict for mail from outside delivered to the inbox: `verified` false flags the sender as unverified. */
export function inbound(verified: boolean | null): InboundVerdict {
  return { verified, placement: "inbox" };
}

/**
 * Delivers one message, as received (bytes, a text whose lines end in LF or CRLF, or a sender case),
 * to `to` through the mail service; its id. With `verdict`, as mail from outside: its warnings are
 * worked out as the reception's are; without, as local mail (no warnings).
 */
export async function deliverRaw(
  services: Services,
  to: Pick<Account, "address">,
  message: SenderCase | Buffer | string,
  verdict?: InboundVerdict,
): Promise<number> {
  const raw =
    typeof message === "string"
      ? Buffer.from(message.replace(/\r?\n/g, "\r\n"), "utf8")
      : Buffer.isBuffer(message)
        ? message
        : message.raw;
  const recipient = await services.mail.checkRecipient(to.address);
  const [id] = (await services.mail.deliver(raw, [recipient], verdict ? { inbound: verdict } : {})).messageIds;
  assert.ok(id, "delivered");
  return id;
}
