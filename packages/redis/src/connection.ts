import { type EmittedEvent, StoreError, safely, validateOptions } from '@ferrule/core';
import { Redis } from 'ioredis';
import * as v from 'valibot';

/**
 * The `store` event a Redis connection reports when Redis goes away or comes back.
 * @example
 * redisConnection({ onEvent: (event: StoreEvent) => console.warn(event.store, event.action) });
 */
export type StoreEvent = Extract<EmittedEvent, { type: 'store' }>;

/**
 * Options of {@link redisConnection}, and of every Redis store that opens its own connection.
 * @example
 * redisConnection({ url: 'redis://cache.internal:6379', commandTimeoutMs: 200 });
 */
export interface RedisConnectionOptions {
  /** Where Redis is. Ignored when `client` is given. @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' */
  url?: string;
  /** An ioredis client of your own, used as it is; `close()` leaves it open. @default a client for `url` */
  client?: Redis;
  /** The store name in events. @default 'redis' */
  name?: string;
  /** Told when Redis becomes unavailable and when it recovers. A listener that throws is ignored. */
  onEvent?: (event: StoreEvent) => void;
  /** A command that takes longer fails, so a slow Redis never holds a call up for long. @default 500 */
  commandTimeoutMs?: number;
}

/**
 * One Redis connection that ferrule's Redis stores share. While Redis is unreachable every command
 * fails at once with a `StoreError` (callers pass through rather than wait); the client keeps
 * reconnecting in the background, and commands work again as soon as it is back.
 * @example
 * const connection = redisConnection();
 * const size = await connection.run((client) => client.dbsize());
 */
export interface RedisConnection {
  /** The ioredis client (for a library of your own, e.g. rate-limiter-flexible's `storeClient`). */
  readonly client: Redis;
  /** The store name in events and errors. */
  readonly name: string;
  /** Whether the last thing heard from Redis was good. */
  readonly available: boolean;
  /** Runs commands on the client; any failure becomes a `StoreError` that names no host, password or key. */
  run<T>(command: (client: Redis) => Promise<T>): Promise<T>;
  /** Stops reconnecting and closes the client this connection opened (a client you passed stays open). */
  close(): Promise<void>;
}

const RedisConnectionSchema = v.strictObject({
  url: v.optional(v.pipe(v.string(), v.regex(/^rediss?:\/\//))),
  client: v.optional(v.looseObject({ getBuffer: v.function(), on: v.function() })),
  name: v.optional(v.pipe(v.string(), v.nonEmpty())),
  onEvent: v.optional(v.function()),
  commandTimeoutMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
});

/** Reconnects after 100 ms, 200 ms … up to 2 s between attempts, for as long as it takes. */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 2_000);

/**
 * Opens (or adopts) a Redis connection to share between ferrule's Redis stores: `REDIS_URL` by
 * default, failing fast while Redis is away and reporting it with `store` events.
 * @example
 * const connection = redisConnection({ onEvent: (event) => console.log(event.action) });
 * const store = redisCacheStore({ connection });
 */
export function redisConnection(options: RedisConnectionOptions = {}): RedisConnection {
  validateOptions(RedisConnectionSchema, options, 'redisConnection');
  const { name = 'redis', onEvent, commandTimeoutMs = 500 } = options;
  const own = options.client === undefined;
  const client =
    options.client ??
    new Redis(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: reconnectDelayMs,
    });
  let available = true;
  const report = (action: StoreEvent['action'], reason?: string) =>
    safely(onEvent, { type: 'store', store: name, action, ...(reason && { reason }) });
  const onReady = () => {
    if (!available) report('recovered');
    available = true;
  };
  const onDown = (error?: unknown) => {
    if (available) report('unavailable', (error as { code?: string } | undefined)?.code ?? 'connection-closed');
    available = false;
  };
  // An error event always comes with a lost connection or a failed attempt; listening also keeps ioredis quiet.
  const onError = (error: unknown) => onDown(error);
  const onClose = () => onDown();
  client.on('ready', onReady).on('error', onError).on('close', onClose);

  return {
    client,
    name,
    get available() {
      return available;
    },
    async run(command) {
      // Fail fast while Redis is away: a caller must not wait a timeout out on every call.
      if (!available && client.status !== 'ready') throw new StoreError(`Redis store "${name}" is unavailable`);
      try {
        return await command(client);
      } catch (error) {
        throw new StoreError(`Redis store "${name}" failed a command`, { cause: error });
      }
    },
    async close() {
      client.off('ready', onReady).off('error', onError).off('close', onClose);
      if (own) client.disconnect();
    },
  };
}
