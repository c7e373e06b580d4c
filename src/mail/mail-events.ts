/**
 * "The mail of these accounts changed": published by the mail store after each commit that changes
 * messages or folders (deliveries, the webmail's actions, IMAP's), heard by the IMAP sessions of those
 * accounts (IDLE), in this instance and in the others (storage/change-bus.ts).
 */
import type { ChangeBus } from "../storage/change-bus.js";

export interface MailEvents {
  /** Tells every listener of these accounts (after the commit). */
  changed(accountIds: Iterable<number>): void;
  /** Listens to one account's changes; returns the function that stops listening. */
  listen(accountId: number, listener: () => void): () => void;
}

/** Accounts per message, so that a delivery to many mailboxes is a few signals, not one each. */
const PER_SIGNAL = 500;

export function createMailEvents(bus: ChangeBus): MailEvents {
  const byAccount = new Map<number, Set<() => void>>();
  bus.subscribe((payload) => {
    for (const part of payload.split(",")) {
      const listeners = byAccount.get(Number(part));
      if (listeners) for (const l of [...listeners]) l();
    }
  });
  return {
    changed(accountIds) {
      const ids = [...new Set(accountIds)];
      for (let i = 0; i < ids.length; i += PER_SIGNAL) bus.publish(ids.slice(i, i + PER_SIGNAL).join(","));
    },
    listen(accountId, listener) {
      let set = byAccount.get(accountId);
      if (!set) {
        set = new Set();
        byAccount.set(accountId, set);
      }
      set.add(listener);
      return () => {
        const s = byAccount.get(accountId);
        s?.delete(listener);
        if (s?.size === 0) byAccount.delete(accountId);
      };
    },
  };
}
