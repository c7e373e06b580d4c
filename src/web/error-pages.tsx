import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/config.js";
import { isDomainError } from "../shared/errors.js";
import type { ClientAssets } from "./assets.js";
import { errorPage } from "./errors.js";
import { fr } from "./i18n/fr.js";
import { pageContext, sendPage } from "./page.js";
import { MessagePage } from "./views/portal.view.js";

/**
 * Status and French page for an error that reached the edge: a domain error by the table of
 * errors.ts, 4xx for bad input, never a stack trace.
 */
function describe(error: FastifyError): { status: number; title: string; message: string } {
  if (isDomainError(error)) {
    const { status, title, text } = errorPage(error);
    return { status, title, message: text };
  }
  const status = error.statusCode ?? 500;
  if (status === 403) return { status, title: fr.errors.forbiddenTitle, message: fr.errors.forbidden };
  if (status === 404) return { status, title: fr.errors.notFoundTitle, message: fr.errors.notFound };
  if (status === 413) return { status, title: fr.errors.tooLargeTitle, message: fr.errors.tooLarge };
  if (status === 415) return { status, title: fr.errors.unsupportedTitle, message: fr.errors.unsupported };
  if (status >= 400 && status < 500) return { status, title: fr.errors.badRequestTitle, message: fr.errors.badRequest };
  return { status: 500, title: fr.errors.serverTitle, message: fr.errors.server };
}

export function registerErrorPages(app: FastifyInstance, config: Config, assets?: ClientAssets): void {
  const render = (req: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) =>
    sendPage(reply, <MessagePage ctx={pageContext(config, req, assets)} title={title} message={message} />, status);

  app.setNotFoundHandler((req, reply) => render(req, reply, 404, fr.errors.notFoundTitle, fr.errors.notFound));

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const { status, title, message } = describe(error);
    if (status >= 500 && status !== 503) req.log.error({ err: error }, "request failed");
    else req.log.info({ code: error.code, status, reason: error.message }, "request refused");
    if (status === 503) reply.header("Retry-After", "5");
    if (status === 429 && isDomainError(error, "RATE_LIMITED")) {
      reply.header("Retry-After", String(Math.max(1, Math.ceil(error.details.retryAfterMs / 1000))));
    }
    // Requests from the page script get JSON, not a page.
    if (req.headers["x-csrf-token"] !== undefined) {
      return reply.code(status).send({ error: message });
    }
    return render(req, reply, status, title, message);
  });
}
