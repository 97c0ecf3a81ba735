import { ConfigError, type EmittedEvent, type RateLimitStore, validateOptions } from '@ferrule/core';
import type { Redis } from 'ioredis';
import * as v from 'valibot';
import { type RedisConnection, type RedisConnectionOptions, redisConnection } from './connection.ts';
import { localRateLimitStore } from './rate-limit-store-local.ts';
import { RATE_LIMIT_SCRIPT } from './rate-limit-store-script.ts';

/**
 * Options of {@link redisRateLimitStore}.
 * @example
 * redisRateLimitStore({ prefix: 'shop:limits:', onUnavailable: 'closed' });
 */
export interface RedisRateLimitStoreOptions extends RedisConnectionOptions {
  /** A connection to share with other stores; the store then opens none of its own. @default a new `redisConnection(options)` */
  connection?: RedisConnection;
  /** Put before every key, so several limiters (or apps) can share one Redis. @default 'ferrule:rate-limit:' */
  prefix?: string;
  /**
   * While Redis is unreachable: `'open'` limits each process on its own with `fallback`; `'closed'`
   * refuses every take with the `StoreError`. Both report it with a `store` event, and go back to
   * Redis as soon as it answers again. @default 'open'
   */
  onUnavailable?: 'open' | 'closed';
  /**
   * The store that limits this process while Redis is unreachable (in `'open'` mode), e.g.
   * `memoryRateLimitStore()` of `@ferrule/rate-limit` for exact windows.
   * @default a token bucket per policy, of `localShare` of its capacity and rate
   */
  fallback?: RateLimitStore;
  /**
   * The share of each policy one process may use on its own while Redis is unreachable, with the
   * default fallback: `0.25` when four processes share the limit. @default 1
   */
  localShare?: number;
}

/**
 * A {@link RateLimitStore} in Redis, shared by every process and machine that uses it. `take` and
 * `pause` are atomic across processes and report Redis going away or coming back through `emit`.
 * @example
 * const store: RedisRateLimitStore = redisRateLimitStore();
 * const { granted, waitMs } = await store.take('https://api.example.com', { type: 'token-bucket', ratePerSecond: 5, burst: 5 });
 * await store.close();
 */
export interface RedisRateLimitStore extends RateLimitStore {
  readonly name: string;
  readonly connection: RedisConnection;
  /** Closes the connection, when the store opened it. */
  close(): Promise<void>;
}

const RedisRateLimitStoreSchema = v.strictObject({
  connection: v.optional(v.looseObject({ run: v.function(), client: v.looseObject({}) })),
  prefix: v.optional(v.string()),
  onUnavailable: v.optional(v.picklist(['open', 'closed'])),
  fallback: v.optional(v.looseObject({ take: v.function(), pause: v.function() })),
  localShare: v.optional(v.pipe(v.number(), v.gtValue(0), v.maxValue(1))),
});

const count = v.pipe(v.number(), v.integer(), v.minValue(1));
const PolicySchema = v.variant('type', [
  v.object({
    type: v.literal('token-bucket'),
    ratePerSecond: v.pipe(v.number(), v.finite(), v.gtValue(0)),
    burst: count,
  }),
  v.object({ type: v.picklist(['sliding-window', 'fixed-window']), limit: count, windowMs: count }),
]);

type ScriptClient = Redis & {
  ferruleRateLimit(state: string, pause: string, ...args: (string | number)[]): Promise<[number, number, number]>;
};

/**
 * A {@link RateLimitStore} in Redis: one atomic Lua script per take, timed by Redis's clock, so a
 * limit holds across every process and machine that shares the Redis and the prefix — exact for
 * token buckets, sliding and fixed windows, with pauses shared by all. While Redis is unreachable it
 * fails open to a per-process limit (or closed, refusing takes), reports it with a `store` event
 * through the call's `emit`, and goes back to Redis when it answers again.
 * @example
 * const store = redisRateLimitStore({ prefix: 'shop:limits:', localShare: 0.25 });
 * const fetch = createFetch({ use: [rateLimit({ policy: tokenBucket({ ratePerSecond: 20 }), store })] });
 */
export function redisRateLimitStore(options: RedisRateLimitStoreOptions = {}): RedisRateLimitStore {
  const {
    connection: given,
    prefix = 'ferrule:rate-limit:',
    onUnavailable = 'open',
    fallback: givenFallback,
    localShare = 1,
    ...connectionOptions
  } = options;
  validateOptions(
    RedisRateLimitStoreSchema,
    { connection: given, prefix, onUnavailable, fallback: givenFallback, localShare },
    'redisRateLimitStore',
  );
  const connection = given ?? redisConnection(connectionOptions);
  (connection.client as Redis).defineCommand('ferruleRateLimit', { numberOfKeys: 2, lua: RATE_LIMIT_SCRIPT });
  const fallback = givenFallback ?? localRateLimitStore(localShare);
  // What this store last saw of Redis: a change is reported once, to the call that saw it.
  let healthy = true;

  const run = async (keys: [string, string], args: (string | number)[], emit?: (event: EmittedEvent) => void) => {
    try {
      const answer = await connection.run((client) => (client as ScriptClient).ferruleRateLimit(...keys, ...args));
      if (!healthy) {
        healthy = true;
        emit?.({ type: 'store', store: connection.name, action: 'recovered' });
      }
      return answer;
    } catch (error) {
      if (healthy) {
        healthy = false;
        const code = ((error as { cause?: { code?: unknown } }).cause?.code as string | undefined) ?? 'unavailable';
        emit?.({
          type: 'store',
          store: connection.name,
          action: 'unavailable',
          reason: `${code}; failing ${onUnavailable}`,
        });
      }
      if (onUnavailable === 'closed') throw error;
      return undefined;
    }
  };
  const keysOf = (key: string, suffix: string): [string, string] => [
    `${prefix}{${key}}:${suffix}`,
    `${prefix}{${key}}:pause`,
  ];

  return {
    name: connection.name,
    connection,
    async take(key, policy, cost = 1, emit) {
      if (!Number.isInteger(cost) || cost < 1) throw new ConfigError('take.cost', 'a positive integer');
      if (!v.is(PolicySchema, policy)) throw new ConfigError('take.policy', 'a RateLimitPolicy');
      const [a, b] =
        policy.type === 'token-bucket' ? [policy.ratePerSecond, policy.burst] : [policy.limit, policy.windowMs];
      const answer = await run(keysOf(key, policy.type), [policy.type, a, b, cost], emit);
      if (!answer) return fallback.take(key, policy, cost);
      const [granted, waitMs, remaining] = answer;
      return { granted: granted === 1, waitMs: waitMs < 0 ? Infinity : waitMs, remaining };
    },
    async pause(key, durationMs, emit) {
      if (!(durationMs >= 0)) throw new ConfigError('pause.durationMs', 'a number of milliseconds ≥ 0');
      // Redis counts a pause in whole milliseconds: round up, never shorten what the server asked.
      const ms = Math.ceil(durationMs);
      if (ms < 1) return;
      const answer = await run(keysOf(key, 'pause'), ['pause', ms, 0, 0], emit);
      if (!answer) await fallback.pause(key, durationMs);
    },
    close: () => (given ? Promise.resolve() : connection.close()),
  };
}
