/**
 * Health for load balancers and supervisors, outside the pages (plain text, no session, no CSRF):
 * - `GET /healthz`: the process is alive and serving (200 `ok`), whatever its dependencies;
 * - `GET /readyz`: it should be sent traffic: the database answers, Redis answers when configured,
 *   the migrations are all applied, and it is not stopping. 503 with the reason otherwise: from
 *   SIGTERM on (main.ts calls `readiness.drain()`), so that the load balancer stops sending new
 *   requests while those under way finish.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../../services.js";
import { pingRedis } from "../../shared/redis.js";
import { pendingMigrations } from "../../storage/migrate.js";

/** Whether the instance is stopping (set once, on SIGTERM). */
export interface Readiness {
  readonly draining: boolean;
  drain(): void;
}

export function createReadiness(): Readiness {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
  };
}

/** A check that takes longer than this counts as failed (a load balancer waits a few seconds). */
const CHECK_TIMEOUT_MS = 2_000;

function withinTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export async function healthRoutes(
  app: FastifyInstance,
  { services, readiness }: { services: Services; readiness: Readiness },
): Promise<void> {
  // The migrations do not change while the process runs: once all applied, not asked again.
  let migrated = false;
  const noStore = { "Cache-Control": "no-store" };

  app.get("/healthz", { compress: false }, async (_req, reply) => reply.headers(noStore).type("text/plain").send("ok"));

  app.get("/readyz", { compress: false }, async (req, reply) => {
    const fail = (reason: string) => reply.code(503).headers(noStore).type("text/plain").send(`not ready: ${reason}`);
    if (readiness.draining) return fail("stopping");
    try {
      await withinTimeout(services.checkHealth(), "database");
    } catch (error) {
      req.log.warn({ err: error }, "readyz: the database does not answer");
      return fail("database");
    }
    if (services.redis && services.config.redisUrl) {
      try {
        await withinTimeout(pingRedis(services.redis, services.config.redisUrl), "redis");
      } catch (error) {
        req.log.warn({ err: error }, "readyz: Redis does not answer");
        return fail("redis");
      }
    }
    if (!migrated) {
      const pending = await pendingMigrations(services.database);
      if (pending.length > 0) return fail(`migrations pending (${pending.join(", ")})`);
      migrated = true;
    }
    if (readiness.draining) return fail("stopping");
    return reply.headers(noStore).type("text/plain").send("ready");
  });
}
