import {
  type Clock,
  ConfigError,
  type RateLimitPolicy,
  type RateLimitStore,
  type RateLimitTake,
  systemClock,
  validateOptions,
} from '@ferrule/core';
import * as v from 'valibot';

/**
 * Options of {@link memoryRateLimitStore}.
 * @example
 * memoryRateLimitStore({ clock: createFakeClock(0), maxKeys: 1_000 });
 */
export interface MemoryRateLimitStoreOptions {
  /** The clock of every window and refill. @default systemClock */
  clock?: Clock;
  /** Keys kept at most; idle keys go first, then the oldest. @default 10_000 */
  maxKeys?: number;
}

interface Entry {
  /** Tokens (token bucket) or permits used (fixed window). */
  amount: number;
  /** When the tokens were counted (token bucket) or the window started (fixed window). */
  atMs: number;
  /** Grant times (sliding window). */
  log: number[] | undefined;
  /** From this time on the entry holds nothing a fresh one would not. */
  idleAtMs: number;
}

// Floating-point refills must not leave a bucket at 0.9999999 tokens after the exact wait it named.
const EPSILON = 1e-9;

const granted = (remaining: number): RateLimitTake => ({ granted: true, waitMs: 0, remaining });
const refused = (waitMs: number): RateLimitTake => ({ granted: false, waitMs, remaining: 0 });

function takeTokens(entry: Entry, policy: { ratePerSecond: number; burst: number }, cost: number, nowMs: number) {
  const { ratePerSecond, burst } = policy;
  const tokens =
    entry.idleAtMs <= nowMs
      ? burst
      : Math.min(burst, entry.amount + (Math.max(0, nowMs - entry.atMs) * ratePerSecond) / 1000);
  if (tokens + EPSILON < cost)
    return refused(cost > burst ? Infinity : Math.ceil(((cost - tokens) * 1000) / ratePerSecond));
  entry.amount = Math.max(0, tokens - cost);
  entry.atMs = nowMs;
  entry.idleAtMs = nowMs + ((burst - entry.amount) * 1000) / ratePerSecond;
  return granted(Math.floor(entry.amount + EPSILON));
}

function takeFixed(entry: Entry, policy: { limit: number; windowMs: number }, cost: number, nowMs: number) {
  const { limit, windowMs } = policy;
  // Aligned to the epoch, so every process (and Redis) agrees where a window starts.
  const startMs = nowMs - (nowMs % windowMs);
  const used = entry.atMs === startMs ? entry.amount : 0;
  if (used + cost > limit) return refused(cost > limit ? Infinity : startMs + windowMs - nowMs);
  entry.amount = used + cost;
  entry.atMs = startMs;
  entry.idleAtMs = startMs + windowMs;
  return granted(limit - entry.amount);
}

function takeSliding(entry: Entry, policy: { limit: number; windowMs: number }, cost: number, nowMs: number) {
  const { limit, windowMs } = policy;
  entry.log ??= [];
  const log = entry.log;
  let expired = 0;
  while (expired < log.length && (log[expired] as number) <= nowMs - windowMs) expired++;
  if (expired > 0) log.splice(0, expired);
  if (log.length + cost > limit) {
    // Enough grants must leave the window: the oldest that has to go sets the wait.
    return refused(cost > limit ? Infinity : (log[log.length + cost - limit - 1] as number) + windowMs - nowMs);
  }
  for (let index = 0; index < cost; index++) log.push(nowMs);
  entry.idleAtMs = nowMs + windowMs;
  return granted(limit - log.length);
}

/**
 * Where a store of this package keeps its synchronous `take`: the limiter calls it directly, saving
 * the promises of the interface's `take` on every call.
 */
export const TAKE_NOW = Symbol('ferrule.rateLimit.takeNow');

/** A store with a synchronous take, such as {@link memoryRateLimitStore}. */
export interface SyncRateLimitStore extends RateLimitStore {
  [TAKE_NOW](key: string, policy: RateLimitPolicy, cost: number): RateLimitTake;
}

const optionsSchema = v.strictObject({
  clock: v.optional(v.looseObject({ now: v.function(), sleep: v.function() })),
  maxKeys: v.optional(v.pipe(v.number(), v.integer('a whole number'), v.minValue(1))),
});

/**
 * A {@link RateLimitStore} in this process's memory, for one process (the default store of
 * `rateLimit`). Exact for every policy; takes its time from `clock`, so tests run on fake time.
 * For a limit shared by several processes use the Redis store of `@ferrule/redis`.
 * @example
 * const store = memoryRateLimitStore();
 * const fetch = createFetch({ use: [rateLimit({ policy: tokenBucket({ ratePerSecond: 5 }), store })] });
 */
export function memoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): RateLimitStore {
  const { maxKeys = 10_000 } = validateOptions(optionsSchema, options, 'memoryRateLimitStore');
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();
  const pausedUntil = new Map<string, number>();

  const makeRoom = (nowMs: number) => {
    for (const [id, entry] of entries) if (entry.idleAtMs <= nowMs) entries.delete(id);
    for (const [key, untilMs] of pausedUntil) if (untilMs <= nowMs) pausedUntil.delete(key);
    for (const id of entries.keys()) {
      if (entries.size < maxKeys) break;
      entries.delete(id);
    }
  };

  const takeNow = (key: string, policy: RateLimitPolicy, cost: number): RateLimitTake => {
    if (!Number.isInteger(cost) || cost < 1) throw new ConfigError('take.cost', 'a positive integer');
    const nowMs = clock.now();
    const pauseMs = (pausedUntil.get(key) ?? 0) - nowMs;
    if (pauseMs > 0) return refused(pauseMs);
    const id = `${policy.type} ${key}`;
    let entry = entries.get(id);
    if (!entry) {
      if (entries.size >= maxKeys) makeRoom(nowMs);
      entry = { amount: 0, atMs: 0, log: undefined, idleAtMs: 0 };
      entries.set(id, entry);
    }
    if (policy.type === 'token-bucket') return takeTokens(entry, policy, cost, nowMs);
    if (policy.type === 'fixed-window') return takeFixed(entry, policy, cost, nowMs);
    return takeSliding(entry, policy, cost, nowMs);
  };

  const store: SyncRateLimitStore = {
    async take(key, policy: RateLimitPolicy, cost = 1) {
      return takeNow(key, policy, cost);
    },
    [TAKE_NOW]: takeNow,
    async pause(key, durationMs) {
      if (!(durationMs >= 0)) throw new ConfigError('pause.durationMs', 'a number of milliseconds ≥ 0');
      const untilMs = clock.now() + durationMs;
      if (untilMs > (pausedUntil.get(key) ?? 0)) pausedUntil.set(key, untilMs);
    },
  };
  return store;
}
