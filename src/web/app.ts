/**
 * Builds the Fastify application (no listening here: main.ts listens, tests use inject()).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import formbody from "@fastify/formbody";
import helmet from "@fastify/helmet";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Services } from "../services.js";
import type { Logger } from "../shared/logger.js";
import { ping } from "../storage/database.js";
import { registerErrorPages } from "./error-pages.js";
import { homeRoutes } from "./routes/home.routes.js";

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "static");

export interface AppOptions {
  readonly services: Services;
  readonly logger?: Logger | false;
}

export async function buildApp({ services, logger = false }: AppOptions): Promise<FastifyInstance> {
  const https = services.config.publicUrl.startsWith("https:");
  const loggerInstance: FastifyBaseLogger | undefined = logger === false ? undefined : logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: 64 * 1024,
    trustProxy: false,
    return503OnClosing: true,
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: "no-referrer" },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook("onSend", async (_req, reply) => {
    reply.header(
      "Permissions-Policy",
      "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    );
  });
  await app.register(formbody);
  await app.register(fastifyStatic, { root: STATIC_DIR, prefix: "/static/", maxAge: "1h" });
  registerErrorPages(app, services.config);

  app.get("/healthz", async (_req, reply) => {
    await ping(services.database);
    return reply.type("text/plain").send("ok");
  });
  await app.register(homeRoutes, { services });
  return app;
}
