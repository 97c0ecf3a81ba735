import { type RateLimitPolicy, validateOptions } from '@ferrule/core';
import * as v from 'valibot';

/**
 * At most `max` calls of one key in flight at once: a local limit, never kept in a store.
 * @example
 * const policy: ConcurrencyPolicy = concurrency({ max: 4 });
 */
export interface ConcurrencyPolicy {
  type: 'concurrency';
  max: number;
}

/**
 * One limit of `rateLimit`: a store-kept rate policy or a local concurrency limit.
 * @example
 * const policies: Policy[] = [tokenBucket({ ratePerSecond: 10 }), concurrency({ max: 4 })];
 */
export type Policy = RateLimitPolicy | ConcurrencyPolicy;

const count = v.pipe(v.number(), v.integer('a whole number'), v.minValue(1));
const windowSchema = v.strictObject({ limit: count, windowMs: count });

const tokenBucketSchema = v.strictObject({
  ratePerSecond: v.pipe(v.number(), v.finite(), v.gtValue(0)),
  burst: v.optional(count),
});

const policySchema = v.variant('type', [
  v.strictObject({
    type: v.literal('token-bucket'),
    ratePerSecond: tokenBucketSchema.entries.ratePerSecond,
    burst: count,
  }),
  v.strictObject({ type: v.literal('sliding-window'), ...windowSchema.entries }),
  v.strictObject({ type: v.literal('fixed-window'), ...windowSchema.entries }),
  v.strictObject({ type: v.literal('concurrency'), max: count }),
]);

/** Checks one policy or a list of them (names `rateLimit.policy.1.burst`); returns them as a list. */
export function checkPolicies(policy: unknown, option: string): readonly Policy[] {
  if (policy === undefined) return [];
  return Array.isArray(policy)
    ? validateOptions(v.array(policySchema), policy, option)
    : [validateOptions(policySchema, policy, option)];
}

/**
 * Options of {@link tokenBucket}.
 * @example
 * tokenBucket({ ratePerSecond: 0.5, burst: 2 }); // one call every two seconds, two at once after a pause
 */
export interface TokenBucketOptions {
  /** Permits added per second, evenly (fractions allowed: `0.5` is one permit every two seconds). */
  ratePerSecond: number;
  /** How many permits may be spent at once after a quiet spell. @default one second's worth, at least 1 */
  burst?: number;
}

/**
 * A token bucket: permits refill at `ratePerSecond`, evenly, up to `burst`; each call spends one
 * (or its `cost`). Smooth, and tolerant of short bursts.
 * @example
 * rateLimit({ policy: tokenBucket({ ratePerSecond: 10, burst: 20 }) });
 */
export function tokenBucket(options: TokenBucketOptions): Extract<RateLimitPolicy, { type: 'token-bucket' }> {
  const { ratePerSecond, burst } = validateOptions(tokenBucketSchema, options, 'tokenBucket');
  return { type: 'token-bucket', ratePerSecond, burst: burst ?? Math.max(1, Math.ceil(ratePerSecond)) };
}

/**
 * Options of {@link slidingWindow} and {@link fixedWindow}.
 * @example
 * slidingWindow({ limit: 100, windowMs: 60_000 });
 */
export interface WindowOptions {
  /** Permits per window. */
  limit: number;
  /** The length of the window in milliseconds. */
  windowMs: number;
}

/**
 * A sliding window: at most `limit` permits in any span of `windowMs` — exact, as a server that
 * keeps a log of requests counts them.
 * @example
 * rateLimit({ policy: slidingWindow({ limit: 100, windowMs: 60_000 }) });
 */
export function slidingWindow(options: WindowOptions): Extract<RateLimitPolicy, { type: 'sliding-window' }> {
  const { limit, windowMs } = validateOptions(windowSchema, options, 'slidingWindow');
  return { type: 'sliding-window', limit, windowMs };
}

/**
 * A fixed window: at most `limit` permits per window, the windows aligned to the epoch (so that
 * every process and the store agree where a window starts), as most APIs count.
 * @example
 * rateLimit({ policy: fixedWindow({ limit: 5000, windowMs: 3_600_000 }) });
 */
export function fixedWindow(options: WindowOptions): Extract<RateLimitPolicy, { type: 'fixed-window' }> {
  const { limit, windowMs } = validateOptions(windowSchema, options, 'fixedWindow');
  return { type: 'fixed-window', limit, windowMs };
}

/**
 * At most `max` calls of one key in flight; the next waits until one has its response (headers).
 * @example
 * rateLimit({ policy: [tokenBucket({ ratePerSecond: 10 }), concurrency({ max: 4 })] });
 */
export function concurrency(options: { max: number }): ConcurrencyPolicy {
  const { max } = validateOptions(v.strictObject({ max: count }), options, 'concurrency');
  return { type: 'concurrency', max };
}

/** The most permits one take can ever get under `policy`. */
export const capacityOf = (policy: RateLimitPolicy): number =>
  policy.type === 'token-bucket' ? policy.burst : policy.limit;

/** A stable name for a policy, so processes with the same configuration share counters. */
export const signatureOf = (policy: RateLimitPolicy): string =>
  policy.type === 'token-bucket'
    ? `${policy.type}:${policy.ratePerSecond}:${policy.burst}`
    : `${policy.type}:${policy.limit}:${policy.windowMs}`;
