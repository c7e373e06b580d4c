/**
 * What a person finds in their mail: the notices to an address of the mail domain are in that
 * account's inbox (delivered to the local store); the others wait in the outbox (no relay in tests).
 * Reset requests are worked on after the answer: they are finished first.
 */
import { simpleParser } from "mailparser";
import type { Services } from "../../src/services.js";

export interface ReceivedMessage {
  readonly subject: string;
  readonly text: string;
}

/** The messages sent to `to`, newest first. */
export async function messagesTo(services: Services, to: string, limit = 100): Promise<ReceivedMessage[]> {
  await services.recovery.processResetRequests();
  const address = to.toLowerCase();
  if (!address.endsWith(`@${services.config.mailDomain}`)) {
    return (await services.outbound.listOutbox({ to, limit })).map((m) => ({ subject: m.subject, text: m.text }));
  }
  const account = await services.directory.findAccount(address);
  if (!account) return [];
  const inbox = await services.mail.folderByRole(account.id, "inbox");
  const items = (await services.mail.list(account.id, inbox.id, null, limit)).items;
  const out: ReceivedMessage[] = [];
  for (const item of items) {
    const parsed = await simpleParser(await services.mail.raw(account.id, item.id));
    out.push({ subject: parsed.subject ?? "", text: parsed.text ?? "" });
  }
  return out;
}
