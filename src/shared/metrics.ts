/**
 * What the protocol servers (SMTP reception and submission, IMAP) tell the monitoring, as a port:
 * they call these methods and know nothing of Prometheus (src/web/plugins/metrics.ts implements
 * it with prom-client, main.ts injects it). Every label value is from a bounded set: never a
 * username, an address or a raw command line.
 */
export type SmtpServerName = "reception" | "submission";

export interface ProtocolMetrics {
  /** A client connected to an SMTP server. */
  smtpSession(server: SmtpServerName): void;
  /** The final answer to a message's DATA (250, or the refusal's code). */
  smtpMessage(server: SmtpServerName, code: number): void;
  /** A client connected to IMAP (`tls`: on the implicit-TLS port). */
  imapConnection(tls: boolean): void;
  /** An IMAP command ended: its name (upper case) and its tagged answer. */
  imapCommand(command: string, status: "OK" | "NO" | "BAD"): void;
}

/** Counts nothing (tests, tools, and the servers started without monitoring). */
export const noProtocolMetrics: ProtocolMetrics = {
  smtpSession: () => {},
  smtpMessage: () => {},
  imapConnection: () => {},
  imapCommand: () => {},
};
