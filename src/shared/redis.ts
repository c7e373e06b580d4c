/**
 * The Redis connection, used only when SESAME_REDIS_URL is set (shared throttling counters, used
 * challenges, sessions). Commands fail fast when Redis is down instead of queueing forever, so that a
 * login is refused with an error rather than left hanging.
 */
import { Redis } from "ioredis";

export type { Redis };

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid Redis URL)";
  }
}

export class RedisUnreachableError extends Error {
  override readonly name = "RedisUnreachableError";
}

/** Opens a connection (connecting at once); check it with `pingRedis` before serving. */
export function openRedis(url: string, options: { connectionName?: string } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    connectTimeout: 5_000,
    // A command waits for at most one reconnection before failing; the default (20) would hold a
    // login request for many seconds while Redis is away.
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    enableReadyCheck: true,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  });
  // Without a listener, a connection error would be an unhandled 'error' event and end the process;
  // the error reaches the caller through the failing command instead.
  redis.on("error", () => {});
  return redis;
}

/** Resolves when Redis answers; otherwise throws an error naming the (redacted) URL. */
export async function pingRedis(redis: Redis, url: string): Promise<void> {
  try {
    await redis.ping();
  } catch (error) {
    throw new RedisUnreachableError(
      `Redis is unreachable at ${redactRedisUrl(url)} (${(error as Error).message}): start it or unset SESAME_REDIS_URL`,
    );
  }
}

/** Closes the connection, waiting for pending replies when it is up. Safe to call twice. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  if (redis.status === "ready") {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: drop the socket
    }
  }
  redis.disconnect();
}
