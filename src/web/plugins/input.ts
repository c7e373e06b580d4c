/**
 * Input at the door: the schemas of the routes (`src/web/schemas/`, built with `forms.ts`) are
 * checked by Fastify before the handler, which then gets typed values. A request that fails its
 * schema is refused like any bad input (`BadInputError`: the French 400 page), but only once the
 * CSRF check has passed, as when the handlers read their fields themselves: a forged or stale form
 * is a 403 whatever it carries.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { BadInputError } from "../forms.js";

async function inputPlugin(app: FastifyInstance) {
  // Every route with a schema keeps its validation error for the hook below instead of answering
  // at once (the validation step comes before the CSRF check, a preHandler).
  app.addHook("onRoute", (route) => {
    if (route.schema) route.attachValidation = true;
  });
  // A POST without a body (the page script's calls) is an empty form, as the schemas expect.
  app.addHook("preValidation", async (req) => {
    if (req.body == null && req.method !== "GET" && req.method !== "HEAD") req.body = {};
  });
  // Registered after the security plugin: runs after its CSRF check.
  app.addHook("preHandler", async (req) => {
    if (req.validationError) throw new BadInputError(req.validationError.message, { cause: req.validationError });
  });
}

export const input = fp(inputPlugin, { name: "sesame-input", dependencies: ["sesame-security"] });
