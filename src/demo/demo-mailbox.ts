/**
 * Fills the demo mailboxes (`sesame demo`, `npm start` on an empty directory) with the generated
 * French messages of demo-mail.ts, delivered through the real SMTP path: an SMTP reception on a
 * loopback port of its own, and nodemailer as the client. The generator (and faker) is loaded
 * only here, so that a normal start never pays for it.
 */
import nodemailer from "nodemailer";
import type { Config } from "../config/config.js";
import { type ReceptionMailApi, startSmtpReception } from "../mail/smtp-reception.js";
import type { Clock } from "../shared/clock.js";
import type { DemoPerson } from "./demo-mail.js";

export interface DemoMailboxDeps {
  readonly mail: ReceptionMailApi;
  readonly config: Config;
  readonly clock: Clock;
}

/** Delivers the demo messages to `people` (the first one gets the most); returns how many were sent. */
export async function fillDemoMailboxes(deps: DemoMailboxDeps, people: readonly DemoPerson[]): Promise<number> {
  if (people.length === 0) return 0;
  const { demoMessages } = await import("./demo-mail.js");
  const messages = demoMessages(people, { now: deps.clock.now(), mailDomain: deps.config.mailDomain });
  const local = new Set(people.map((p) => p.address.toLowerCase()));
  // The demo's own reception on loopback is a trusted relay: its made-up senders have no DNS records
  // to check, and their warnings (look-alike, outside the académie) are still worked out.
  const config: Config = { ...deps.config, trustedRelays: ["127.0.0.0/8", "::1/128"] };
  const smtp = await startSmtpReception({ mail: deps.mail, config }, { port: 0, host: "127.0.0.1" });
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 1,
  });
  let sent = 0;
  try {
    // One at a time, oldest first: the mailbox lists them in the order they arrived.
    for (const m of messages) {
      const envelope = [...m.to, ...(m.cc ?? [])].map((p) => p.address).filter((a) => local.has(a.toLowerCase()));
      if (envelope.length === 0) continue;
      await transport.sendMail({
        from: { name: m.from.name, address: m.from.address },
        to: m.to.map((p) => ({ name: p.name, address: p.address })),
        ...(m.cc ? { cc: m.cc.map((p) => ({ name: p.name, address: p.address })) } : {}),
        subject: m.subject,
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        date: m.date,
        messageId: m.messageId,
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
        ...(m.references ? { references: [...m.references] } : {}),
        ...(m.attachments
          ? {
              attachments: m.attachments.map((a) => ({
                filename: a.filename,
                contentType: a.contentType,
                content: a.content,
                ...(a.cid ? { cid: a.cid } : {}),
              })),
            }
          : {}),
        envelope: { from: m.from.address, to: envelope },
      });
      sent++;
    }
  } finally {
    transport.close();
    await smtp.close();
  }
  return sent;
}
