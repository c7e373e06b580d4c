import type { FastifyPluginAsync } from "fastify";
import type { Services } from "../../services.js";
import { fr } from "../i18n/fr.js";
import { Layout, renderPage } from "../views/layout.js";

export const homeRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { academieName } = services.config;
  app.get("/", async (_req, reply) => {
    reply.type("text/html; charset=utf-8");
    return renderPage(
      <Layout title={fr.home.title(academieName)} academie={academieName}>
        <h1>{fr.home.welcome}</h1>
      </Layout>,
    );
  });
};
