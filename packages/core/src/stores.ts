import { type Clock, systemClock } from './clock.ts';
import type { EmittedEvent } from './events.ts';

/**
 * The smallest store ferrule needs: values by key, with an optional time to live.
 * Implementations must never throw on a key that is absent or expired (they answer `undefined`).
 */
export interface KeyValueStore<Value> {
  get(key: string): Promise<Value | undefined>;
  /** Stores `value`; after `ttlMs` (when given) `get` answers `undefined`. */
  set(key: string, value: Value, options?: { ttlMs?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A stored HTTP response as a cache store keeps it. */
export interface CacheRecord {
  /** JSON-serialisable facts the cache keeps about the response (status, headers, times, variants). */
  metadata: Record<string, unknown>;
  /** The body, byte for byte. */
  body: Uint8Array;
}

/** Where `@ferrule/cache` keeps responses: memory, file, Redis, or your own. */
export type CacheStore = KeyValueStore<CacheRecord>;

/** An OAuth 2.0 token set as a token store keeps it. */
export interface TokenSet {
  accessToken: string;
  /** Usually `Bearer`. */
  tokenType: string;
  /** When the access token expires (epoch ms), when the server said. */
  expiresAtMs?: number;
  refreshToken?: string;
  scope?: string;
}

/** Where `@ferrule/auth` keeps OAuth tokens, so that several processes or restarts can share them. */
export type TokenStore = KeyValueStore<TokenSet>;

/** A limit a rate-limit store enforces atomically. */
export type RateLimitPolicy =
  | { type: 'token-bucket'; ratePerSecond: number; burst: number }
  | { type: 'sliding-window'; limit: number; windowMs: number }
  | { type: 'fixed-window'; limit: number; windowMs: number };

/** The answer of a rate-limit store to one `take`. */
export interface RateLimitTake {
  /** Whether the permits were taken. */
  granted: boolean;
  /** When not granted: milliseconds until enough permits are available (or the pause ends). 0 when granted. */
  waitMs: number;
  /** Permits left after this take (0 when not granted). */
  remaining: number;
}

/**
 * Where `@ferrule/rate-limit` keeps its counters. `take` must be atomic: under any concurrency,
 * no more permits are granted than the policy allows. The store owns its clock (Redis uses its own).
 */
export interface RateLimitStore {
  /**
   * Atomically takes `cost` permits (default 1) from `key` under `policy`. A store backed by a remote
   * service reports it becoming unavailable or recovering as `store` events through `emit`, the calling
   * middleware's `context.emit`; a local store may ignore it.
   */
  take(
    key: string,
    policy: RateLimitPolicy,
    cost?: number,
    emit?: (event: EmittedEvent) => void,
  ): Promise<RateLimitTake>;
  /** Refuses every take on `key` for `durationMs` (a server's `Retry-After`, shared by every user of the store). */
  pause(key: string, durationMs: number, emit?: (event: EmittedEvent) => void): Promise<void>;
}

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** The clock that expires entries. @default systemClock */
  clock?: Clock;
  /** The oldest entries are dropped beyond this count. @default 10_000 */
  maxEntries?: number;
}

/**
 * A {@link KeyValueStore} in this process's memory, with TTLs and a bound on entries.
 * The default token store of `@ferrule/auth` and state store of `@ferrule/resilience`.
 * @example
 * const tokens = memoryStore<TokenSet>();
 */
export function memoryStore<Value>({
  clock = systemClock,
  maxEntries = 10_000,
}: MemoryStoreOptions = {}): KeyValueStore<Value> {
  const entries = new Map<string, { value: Value; expiresAtMs: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAtMs <= clock.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    async set(key, value, options) {
      entries.delete(key);
      entries.set(key, { value, expiresAtMs: options?.ttlMs === undefined ? Infinity : clock.now() + options.ttlMs });
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}
