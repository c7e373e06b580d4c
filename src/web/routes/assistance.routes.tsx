/** `/assistance`: the Assistance à l'identification (its screens land with the assistance issue). */
import type { FastifyPluginAsync } from "fastify";
import { fr } from "../i18n/fr.js";
import { pageContext, sendPage } from "../page.js";
import { MessagePage } from "../views/portal.view.js";
import type { RouteOptions } from "./portal.routes.js";

export const assistanceRoutes: FastifyPluginAsync<RouteOptions> = async (app, { services, assets }) => {
  app.get("/assistance", async (req, reply) =>
    sendPage(
      reply,
      <MessagePage
        ctx={pageContext(services.config, req, assets)}
        title={fr.assistance.title}
        message={fr.assistance.comingSoon(services.config.rectoratPhone)}
      />,
    ),
  );
};
