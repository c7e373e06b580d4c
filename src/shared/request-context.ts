/**
 * The request being served, carried through the services without passing it along: the web sets it
 * for each HTTP request (its id: Fastify's `req.id`), and the audit service writes it into the
 * entry's details, so that a log line and an audit entry of the same request can be matched.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) within the request `context`. */
export function runInRequest<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The id of the request being served, or undefined outside a request (SMTP, IMAP, CLI, tasks). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** An incoming X-Request-Id is kept only when it is short and plain (no log or header injection). */
export function saneRequestId(value: unknown): string | null {
  return typeof value === "string" && /^[A-Za-z0-9._:@/+=-]{1,128}$/.test(value) ? value : null;
}
