import { type CacheStore, ConfigError, type RouteMatcher } from '@ferrule/core';
import * as v from 'valibot';

/**
 * A lock shared by several processes, so that only one of them fetches a cold URL while the others
 * wait for its answer in the store. `redisCacheStore` from `@ferrule/redis` is one; so is
 * `memoryCacheStore` (for several clients in one process).
 * @example
 * const store = redisCacheStore();
 * cache({ store, dedupe: { lock: store } });
 */
export interface CacheLock {
  /** Takes the lock on `key` for `ttlMs` unless someone holds it; resolves whether it was taken. */
  acquire(key: string, ttlMs: number): Promise<boolean>;
  /** Gives back a lock this holder took. */
  release(key: string): Promise<void>;
}

/**
 * A route that the cache keeps for a fixed time, whatever the response's caching headers say.
 * @example
 * cache({ mode: 'ttl', rules: [{ match: 'GET /products/*', ttlMs: 60_000 }] });
 */
export interface CacheRule {
  /** Which requests: `'GET /products/*'`, `'/users/**'`, or a predicate (see core's `matchRoute`). */
  match: RouteMatcher;
  /** How long a response stays fresh, from the moment it arrives. */
  ttlMs: number;
}

/**
 * Options of {@link cache}'s `dedupe` when given as an object.
 * @example
 * cache({ store, dedupe: { lock: store, lockTtlMs: 10_000 } });
 */
export interface DedupeOptions {
  /** Makes processes that share a store take turns on a cold URL (see {@link CacheLock}). @default none */
  lock?: CacheLock;
  /** How long one process may hold the lock before the others fetch anyway. @default 5_000 */
  lockTtlMs?: number;
  /** How often a waiting process looks in the store for the answer. @default 50 */
  pollMs?: number;
}

/**
 * Options of {@link cache}.
 * @example
 * cache({ maxEntryBytes: 1024 * 1024, staleIfErrorMs: 60_000, private: false });
 */
export interface CacheOptions {
  /** Where responses are kept. @default a `memoryCacheStore()` of this middleware's own */
  store?: CacheStore;
  /**
   * `'http'`: a private cache that follows RFC 9111 as a browser does. `'ttl'`: only requests that
   * match a rule are cached, for the rule's `ttlMs`. @default 'http'
   */
  mode?: 'http' | 'ttl';
  /** TTL rules; in `'http'` mode a matching rule overrides the response's freshness. @default [] */
  rules?: readonly CacheRule[];
  /** A response with a larger body is passed through, not stored. @default 4_194_304 (4 MiB) */
  maxEntryBytes?: number;
  /** Serve a stale response for this long after it expires while it is revalidated in the background, when the response sets no `stale-while-revalidate` of its own. @default 0 */
  staleWhileRevalidateMs?: number;
  /** Serve a stale response for this long after it expires when the origin fails (network error, 500, 502, 503, 504), when the response sets no `stale-if-error` of its own. @default 0 */
  staleIfErrorMs?: number;
  /** Concurrent identical GETs share one upstream request. @default true */
  dedupe?: boolean | DedupeOptions;
  /** `false` makes this a shared cache: `s-maxage` and `proxy-revalidate` apply, `private` responses are not stored, responses to requests with credentials only when `public`, `must-revalidate` or `s-maxage` allow it. @default true */
  private?: boolean;
}

/**
 * Per-call options, on `init.ferrule.cache`.
 * @example
 * await fetch(url, { ferrule: { cache: { bypass: true } } });
 */
export interface CacheCallOptions {
  /** Neither read nor write the cache for this call. */
  bypass?: boolean;
  /** Keep this response for this long, as a TTL rule would. */
  ttlMs?: number;
}

declare module '@ferrule/core' {
  interface CallOptions {
    cache?: CacheCallOptions;
  }
}

const milliseconds = v.pipe(v.number(), v.finite(), v.minValue(0));
const positive = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/** The valibot schema of {@link CacheOptions}. */
export const CacheOptionsSchema = v.strictObject({
  store: v.optional(v.looseObject({ get: v.function(), set: v.function(), delete: v.function() })),
  mode: v.optional(v.picklist(['http', 'ttl'])),
  rules: v.optional(v.array(v.strictObject({ match: v.union([v.string(), v.function()]), ttlMs: milliseconds }))),
  maxEntryBytes: v.optional(positive),
  staleWhileRevalidateMs: v.optional(milliseconds),
  staleIfErrorMs: v.optional(milliseconds),
  dedupe: v.optional(
    v.union([
      v.boolean(),
      v.strictObject({
        lock: v.optional(v.looseObject({ acquire: v.function(), release: v.function() })),
        lockTtlMs: v.optional(positive),
        pollMs: v.optional(positive),
      }),
    ]),
  ),
  private: v.optional(v.boolean()),
});

/** Checks the per-call options; they come with every call, so by hand rather than with a schema. */
export function callOptions(value: unknown, request: Request): CacheCallOptions | undefined {
  if (value === undefined) return undefined;
  const { bypass = false, ttlMs = 0 } = (value ?? 0) as Record<string, unknown>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof bypass !== 'boolean' ||
    typeof ttlMs !== 'number' ||
    !(ttlMs >= 0 && ttlMs < Infinity)
  ) {
    throw new ConfigError('cache', '{ bypass?: boolean, ttlMs?: number ≥ 0 } as per-call options', { request });
  }
  return value as CacheCallOptions;
}
