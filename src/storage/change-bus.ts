/**
 * A small publish/subscribe channel between the instances of Sésame, for "something changed" signals
 * (the mail store tells IMAP sessions that an account's mail changed). Payloads are short text; the
 * receiver reads the state itself from the database, so a lost signal costs latency, never data.
 *
 * - One instance (SQLite, no Redis): in memory.
 * - Redis when configured (SESAME_REDIS_URL): PUBLISH/SUBSCRIBE on a connection of its own.
 * - PostgreSQL without Redis: NOTIFY, and LISTEN on a client of its own (reconnected when lost).
 * Each instance hears its own signals at once (in memory), and skips their echo from the others' path.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { closeRedis, openRedis, type Redis } from "../shared/redis.js";

export interface ChangeBus {
  publish(payload: string): void;
  subscribe(listener: (payload: string) => void): () => void;
  close(): Promise<void>;
}

export interface ChangeBusOptions {
  /** The channel's name (a PostgreSQL identifier / Redis channel). */
  readonly channel: string;
  /** Redis URL: the channel goes through Redis. */
  readonly redisUrl?: string | null;
  /** PostgreSQL URL (and search path ignored): the channel goes through LISTEN/NOTIFY. */
  readonly postgresUrl?: string | null;
  /** Told when the channel between instances fails (it reconnects by itself). */
  readonly onError?: (error: Error) => void;
}

const SEPARATOR = "|";
const MAX_NOTIFY_BYTES = 7_000; // PostgreSQL's NOTIFY payload limit is 8,000 bytes

export function createChangeBus(options: ChangeBusOptions): ChangeBus {
  const listeners = new Set<(payload: string) => void>();
  const self = randomUUID().slice(0, 8);
  const deliver = (payload: string) => {
    for (const l of listeners) {
      try {
        l(payload);
      } catch (error) {
        options.onError?.(error as Error);
      }
    }
  };
  const fromOthers = (message: string) => {
    const at = message.indexOf(SEPARATOR);
    if (at < 0 || message.slice(0, at) === self) return;
    deliver(message.slice(at + 1));
  };
  const remote = options.redisUrl
    ? redisTransport(options.redisUrl, options.channel, fromOthers, options.onError)
    : options.postgresUrl
      ? postgresTransport(options.postgresUrl, options.channel, fromOthers, options.onError)
      : null;
  return {
    publish(payload) {
      deliver(payload);
      remote?.send(`${self}${SEPARATOR}${payload}`);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await remote?.close();
    },
  };
}

interface Transport {
  send(message: string): void;
  close(): Promise<void>;
}

function redisTransport(
  url: string,
  channel: string,
  receive: (message: string) => void,
  onError?: (error: Error) => void,
): Transport {
  const pub: Redis = openRedis(url, { connectionName: "sesame-bus-pub" });
  const sub: Redis = openRedis(url, { connectionName: "sesame-bus-sub" });
  sub.on("message", (_channel: string, message: string) => receive(message));
  sub.subscribe(channel).catch((error: Error) => onError?.(error));
  return {
    send(message) {
      pub.publish(channel, message).catch((error: Error) => onError?.(error));
    },
    async close() {
      await closeRedis(sub);
      await closeRedis(pub);
    },
  };
}

function postgresTransport(
  url: string,
  channel: string,
  receive: (message: string) => void,
  onError?: (error: Error) => void,
): Transport {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", (error) => onError?.(error));
  let listener: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const listen = async () => {
    if (closed) return;
    const client = new pg.Client({ connectionString: url });
    client.on("notification", (n) => {
      if (n.channel === channel && n.payload) receive(n.payload);
    });
    const again = (error: Error) => {
      onError?.(error);
      client.end().catch(() => {});
      if (listener === client) listener = null;
      if (!closed && retry === null) {
        retry = setTimeout(() => {
          retry = null;
          void listen();
        }, 1_000);
        retry.unref();
      }
    };
    client.on("error", again);
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (closed) {
        await client.end();
        return;
      }
      listener = client;
    } catch (error) {
      again(error as Error);
    }
  };
  void listen();
  return {
    send(message) {
      if (Buffer.byteLength(message) > MAX_NOTIFY_BYTES) return;
      pool.query("select pg_notify($1, $2)", [channel, message]).catch((error: Error) => onError?.(error));
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}
