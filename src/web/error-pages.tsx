import type { FastifyError, FastifyInstance } from "fastify";
import type { Config } from "../config/config.js";
import { fr } from "./i18n/fr.js";
import { Layout, renderPage } from "./views/layout.js";

function page(config: Config, title: string, message: string): string {
  return renderPage(
    <Layout title={title} academie={config.academieName}>
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/">{fr.errors.backHome}</a>
      </p>
    </Layout>,
  );
}

/** French error pages: 4xx for bad input, never a stack trace. */
export function registerErrorPages(app: FastifyInstance, config: Config): void {
  app.setNotFoundHandler((_req, reply) => {
    reply
      .code(404)
      .type("text/html; charset=utf-8")
      .send(page(config, fr.errors.notFoundTitle, fr.errors.notFound));
  });
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err: error }, "request failed");
      reply
        .code(500)
        .type("text/html; charset=utf-8")
        .send(page(config, fr.errors.serverTitle, fr.errors.server));
      return;
    }
    if (status === 413) {
      reply
        .code(413)
        .type("text/html; charset=utf-8")
        .send(page(config, fr.errors.tooLargeTitle, fr.errors.tooLarge));
      return;
    }
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .send(page(config, fr.errors.badRequestTitle, fr.errors.badRequest));
  });
}
