import type { IncomingMessage, ServerResponse } from "node:http";
/**
 * Builds the Fastify application (no listening here: main.ts listens, tests use inject()).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { constants as zlib } from "node:zlib";
import { negotiate } from "@fastify/accept-negotiator";
import fastifyCompress from "@fastify/compress";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController } from "fastify";
import helmet from "helmet";
import type { Services } from "../services.js";
import type { Logger } from "../shared/logger.js";
import { ASSET_ENCODINGS, type AssetEncoding, type ClientAsset, clientAssets } from "./assets.js";
import { registerErrorPages } from "./error-pages.js";
import { BadInputError } from "./forms.js";
import { input } from "./plugins/input.js";
import type { Metrics } from "./plugins/metrics.js";
import { requestIdOf, requestLog } from "./plugins/request-log.js";
import { security } from "./plugins/security.js";
import { assistanceRoutes } from "./routes/assistance.routes.js";
import { composeRoutes } from "./routes/compose.routes.js";
import { consoleRoutes } from "./routes/console.routes.js";
import { adminConsoleRoutes } from "./routes/console-admin.routes.js";
import { helpdeskConsoleRoutes } from "./routes/console-helpdesk.routes.js";
import { keysConsoleRoutes } from "./routes/console-keys.routes.js";
import { securityConsoleRoutes } from "./routes/console-security.routes.js";
import { contactsRoutes } from "./routes/contacts.routes.js";
import { createReadiness, healthRoutes, type Readiness } from "./routes/health.routes.js";
import { mailRoutes } from "./routes/mail.routes.js";
import { mailClientsRoutes } from "./routes/mail-clients.routes.js";
import { messageExtrasRoutes } from "./routes/message-extras.routes.js";
import { portalRoutes } from "./routes/portal.routes.js";
import { settingsRoutes } from "./routes/settings.routes.js";

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "static");

const BAD_URL_PATH = "/requete-invalide";

/**
 * CSP without inline script or style, `frame-src 'self'` (the message frame) and `frame-ancestors 'none'`, HSTS over https,
 * no referrer to other sites, nosniff, DENY framing, a restrictive Permissions-Policy. helmet
 * computes them; they are the same for every response, so they are computed once.
 */
export function securityHeaders(https: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", "blob:"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        // The reading view shows a message's HTML in a sandboxed frame served by this site.
        frameSrc: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    // Nothing to other sites; `no-referrer` would also make browsers send `Origin: null` on the
    // pages' own forms, which the CSRF check refuses.
    referrerPolicy: { policy: "same-origin" },
    xFrameOptions: { action: "deny" },
    crossOriginEmbedderPolicy: false,
  });
  const sink = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  middleware({} as IncomingMessage, sink as unknown as ServerResponse, () => {});
  headers["Permissions-Policy"] =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()";
  return headers;
}

/**
 * Responses are compressed when the browser accepts it: Brotli first, else gzip. Brotli at quality 4
 * (not zlib's default 11, tens of times slower): a page is compressed on every request, and the time
 * to first byte matters more than the last percent of size. Only text formats (pages, CSS, scripts,
 * JSON, XML) over 1 KB; attachments in already compressed formats are left alone (mime-db's list).
 * Compressed request bodies are not accepted (the pages never send any, and an expanded body would
 * escape the body limit). Pages compressed with their CSRF token are defended against BREACH by
 * masking the token afresh in every page (plugins/security.ts).
 */
/** Smaller answers are sent as they are (compressing them would gain nothing). */
const MIN_COMPRESSED_BYTES = 1024;

const COMPRESSION = {
  encodings: ["br", "gzip"],
  threshold: MIN_COMPRESSED_BYTES,
  customTypes:
    /^(?:text\/(?:html|css|javascript|plain|xml)|application\/(?:javascript|json|xml)|application\/[\w.-]+\+(?:json|xml))(?:;|$)/,
  brotliOptions: {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT },
  },
  zlibOptions: { level: 6 },
  globalDecompression: false,
} as const;

/**
 * A bundled asset in the best coding the browser accepts, compressed once at start-up (assets.ts);
 * `Vary` tells caches that the body depends on Accept-Encoding, whichever coding was chosen.
 */
const ASSET_CODINGS: AssetEncoding[] = [...ASSET_ENCODINGS];

function sendAsset(reply: FastifyReply, asset: ClientAsset, acceptEncoding: string | undefined): FastifyReply {
  reply.type(asset.type).header("Vary", "Accept-Encoding");
  const encoding = negotiate(acceptEncoding ?? "", ASSET_CODINGS);
  if (!encoding) return reply.send(asset.body);
  return reply.header("Content-Encoding", encoding).send(asset.encoded[encoding]);
}

export interface AppOptions {
  readonly services: Services;
  readonly logger?: Logger | false;
  /** Counts the requests for Prometheus (main.ts, when SESAME_METRICS_PORT is set). */
  readonly metrics?: Metrics;
  /** /readyz answers 503 once it drains (main.ts, on SIGTERM). */
  readonly readiness?: Readiness;
}

export async function buildApp({
  services,
  logger = false,
  metrics,
  readiness = createReadiness(),
}: AppOptions): Promise<FastifyInstance> {
  const { config } = services;
  const https = config.publicUrl.startsWith("https:");
  const loggerInstance: FastifyBaseLogger | undefined = logger === false ? undefined : logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: 64 * 1024,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    // A proxy's sane X-Request-Id is kept, else a UUID (plugins/request-log.ts).
    genReqId: requestIdOf,
    // A path that cannot be decoded (`/%FF`) would get Fastify's bare JSON answer, before any hook:
    // send it to a route that fails like any bad input (French 400 page, every security header).
    rewriteUrl: (req) => {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      try {
        decodeURIComponent(q === -1 ? url : url.slice(0, q));
        return url;
      } catch {
        return BAD_URL_PATH;
      }
    },
    // One line per request at info level would cost more than the request; errors are logged.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    // The routes' schemas (forms.ts): no type coercion (a field is a string or the request is
    // refused), and patterns without the `u` flag, so that a text's length limit counts UTF-16
    // units as JavaScript's `length` does.
    ajv: { customOptions: { coerceTypes: false, unicodeRegExp: false } },
  });
  const assets = await clientAssets();
  requestLog(app, { trustProxy: config.trustProxy });
  metrics?.instrument(app);

  // The security headers never change: computed once with helmet, set by one hook.
  const headers = securityHeaders(https);
  app.addHook("onRequest", (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
  // Before every route: the plugin compresses the replies of the routes registered after it.
  await app.register(fastifyCompress, { ...COMPRESSION, encodings: [...COMPRESSION.encodings] });
  await app.register(fastifyStatic, { root: STATIC_DIR, prefix: "/static/", maxAge: "1h", index: false });
  for (const asset of [assets.app, assets.challenge]) {
    app.get(asset.url, { compress: false }, async (req, reply) =>
      sendAsset(
        reply.header("Cache-Control", "public, max-age=31536000, immutable"),
        asset,
        req.headers["accept-encoding"],
      ),
    );
  }
  for (const asset of assets.vendor) {
    app.get(asset.url, { compress: false }, async (req, reply) =>
      sendAsset(reply.header("Cache-Control", "public, max-age=86400"), asset, req.headers["accept-encoding"]),
    );
  }
  await app.register(security, { services });
  await app.register(input);
  registerErrorPages(app, config, assets);

  app.all(BAD_URL_PATH, async () => {
    throw new BadInputError("the URL cannot be decoded");
  });
  await app.register(healthRoutes, { services, readiness });
  await app.register(portalRoutes, { services, assets });
  await app.register(mailRoutes, { services, assets });
  await app.register(messageExtrasRoutes, { services, assets });
  await app.register(composeRoutes, { services, assets });
  await app.register(contactsRoutes, { services, assets });
  await app.register(settingsRoutes, { services, assets });
  await app.register(assistanceRoutes, { services, assets });
  await app.register(consoleRoutes, { services, assets });
  await app.register(helpdeskConsoleRoutes, { services, assets });
  await app.register(adminConsoleRoutes, { services, assets });
  await app.register(securityConsoleRoutes, { services, assets });
  await app.register(keysConsoleRoutes, { services, assets });
  await app.register(mailClientsRoutes, { services });
  return app;
}
