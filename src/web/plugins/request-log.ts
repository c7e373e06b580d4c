/**
 * Each web request's id and what is logged about it: the id (Fastify's `req.id`: the incoming
 * X-Request-Id when a proxy set a sane one, else a fresh UUID) is sent back in X-Request-Id, bound
 * to the request's log lines (`requestId`), and carried through the services (request-context.ts)
 * into the audit entries the request writes. A request that says X-Forwarded-For while
 * SESAME_TRUST_PROXY is false, coming from a loopback or private address (a reverse proxy, most
 * likely), is logged once as a warning: every user would otherwise share the proxy's address and
 * its throttles.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { FastifyInstance } from "fastify";
import { runInRequest, saneRequestId } from "../../shared/request-context.js";

/** Fastify's `genReqId`: a sane incoming X-Request-Id, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  return saneRequestId(req.headers["x-request-id"]) ?? randomUUID();
}

/** Loopback, RFC 1918, CGNAT, link-local and IPv6 unique-local addresses: where a reverse proxy lives. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["127.0.0.0", 8],
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["100.64.0.0", 10],
  ["169.254.0.0", 16],
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv4");
}
PRIVATE.addAddress("::1", "ipv6");
PRIVATE.addSubnet("fc00::", 7, "ipv6");
PRIVATE.addSubnet("fe80::", 10, "ipv6");

export function isPrivateAddress(address: string | undefined): boolean {
  if (!address) return false;
  const ip = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(ip);
  if (family === 0) return false;
  return PRIVATE.check(ip, family === 4 ? "ipv4" : "ipv6");
}

export interface RequestLogOptions {
  readonly trustProxy: boolean;
}

/** Adds the hooks to the root instance (before the routes). */
export function requestLog(app: FastifyInstance, options: RequestLogOptions): void {
  let proxyWarned = options.trustProxy;
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("X-Request-Id", req.id);
    if (!proxyWarned && req.headers["x-forwarded-for"] !== undefined && isPrivateAddress(req.socket.remoteAddress)) {
      proxyWarned = true;
      app.log.warn(
        { requestId: req.id, peer: req.socket.remoteAddress },
        "a request carries X-Forwarded-For from a private address but SESAME_TRUST_PROXY is false: behind a reverse proxy every user shares the proxy's address and its throttles; set SESAME_TRUST_PROXY=true if this proxy sets the header (logged once)",
      );
    }
    runInRequest({ requestId: req.id }, done);
  });
  // The body is read outside the request's context (socket events): entered again before the handler.
  app.addHook("preValidation", (req, _reply, done) => runInRequest({ requestId: req.id }, done));
  app.addHook("preHandler", (req, _reply, done) => runInRequest({ requestId: req.id }, done));
}
