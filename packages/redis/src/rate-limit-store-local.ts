import type { RateLimitPolicy, RateLimitStore } from '@ferrule/core';

// Idle buckets are dropped beyond this many keys.
const MAX_KEYS = 10_000;

interface Bucket {
  tokens: number;
  atMs: number;
  /** From this time on the bucket is full again: it holds nothing a new one would not. */
  fullAtMs: number;
}

// A policy as a bucket of `share` of its capacity, refilling at `share` of its average rate per ms.
const shapeOf = (policy: RateLimitPolicy, share: number) => {
  const [capacity, perMs] =
    policy.type === 'token-bucket'
      ? [policy.burst, policy.ratePerSecond / 1000]
      : [policy.limit, policy.limit / policy.windowMs];
  return { size: Math.max(1, Math.floor(capacity * share)), rate: perMs * share };
};

// Drops the buckets that are full again and the pauses that are over.
const makeRoom = (buckets: Map<string, Bucket>, pausedUntil: Map<string, number>, nowMs: number) => {
  for (const [id, { fullAtMs }] of buckets) if (fullAtMs <= nowMs) buckets.delete(id);
  for (const [key, untilMs] of pausedUntil) if (untilMs <= nowMs) pausedUntil.delete(key);
};

/**
 * The limit one process keeps on its own while Redis is unreachable: every policy as a token bucket
 * of `share` of its capacity and average rate. A window becomes a bucket of `limit` refilling
 * `limit` per `windowMs` — the same average, though up to twice `limit` may pass in one window —
 * which is enough to keep a fleet near its limit for the minutes Redis is away.
 */
export function localRateLimitStore(share: number): RateLimitStore {
  const buckets = new Map<string, Bucket>();
  const pausedUntil = new Map<string, number>();
  return {
    async take(key, policy: RateLimitPolicy, cost = 1) {
      const nowMs = Date.now();
      const pauseMs = (pausedUntil.get(key) ?? 0) - nowMs;
      if (pauseMs > 0) return { granted: false, waitMs: pauseMs, remaining: 0 };
      const { size, rate } = shapeOf(policy, share);
      const id = `${policy.type} ${key}`;
      let bucket = buckets.get(id);
      if (!bucket) {
        if (buckets.size >= MAX_KEYS) makeRoom(buckets, pausedUntil, nowMs);
        bucket = { tokens: size, atMs: nowMs, fullAtMs: nowMs };
        buckets.set(id, bucket);
      }
      const tokens = Math.min(size, bucket.tokens + (nowMs - bucket.atMs) * rate);
      if (tokens + 1e-9 < cost) {
        return { granted: false, waitMs: cost > size ? Infinity : Math.ceil((cost - tokens) / rate), remaining: 0 };
      }
      bucket.tokens = Math.max(0, tokens - cost);
      bucket.atMs = nowMs;
      bucket.fullAtMs = nowMs + (size - bucket.tokens) / rate;
      return { granted: true, waitMs: 0, remaining: Math.floor(bucket.tokens) };
    },
    async pause(key, durationMs) {
      pausedUntil.set(key, Math.max(pausedUntil.get(key) ?? 0, Date.now() + durationMs));
    },
  };
}
