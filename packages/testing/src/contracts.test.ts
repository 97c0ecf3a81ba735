import { type CacheRecord, memoryStore, type RateLimitPolicy, type RateLimitStore, type TokenSet } from '@ferrule/core';
import { describeCacheStore, describeTokenStore } from './vitest.ts';

// The suites run here against core's memoryStore, which every package may use as a default.
describeTokenStore('core memoryStore', ({ clock }) => memoryStore<TokenSet>({ clock }));
describeCacheStore('core memoryStore', ({ clock }) => memoryStore<CacheRecord>({ clock }));

// A reference RateLimitStore kept deliberately simple (a log of grant times per key), to prove the
// contract suite itself: the real stores live in @ferrule/rate-limit and @ferrule/redis.
import type { FakeClock } from '@ferrule/core';
import { describeRateLimitStore } from './vitest.ts';

function referenceStore(clock: FakeClock): RateLimitStore {
  const grants = new Map<string, number[]>();
  const pausedUntil = new Map<string, number>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async take(key, policy: RateLimitPolicy, cost = 1) {
      const now = clock.now();
      const pause = (pausedUntil.get(key) ?? 0) - now;
      if (pause > 0) return { granted: false, waitMs: pause, remaining: 0 };
      if (policy.type === 'token-bucket') {
        const bucket = buckets.get(key) ?? { tokens: policy.burst, at: now };
        bucket.tokens = Math.min(policy.burst, bucket.tokens + ((now - bucket.at) * policy.ratePerSecond) / 1000);
        bucket.at = now;
        buckets.set(key, bucket);
        if (bucket.tokens >= cost) {
          bucket.tokens -= cost;
          return { granted: true, waitMs: 0, remaining: Math.floor(bucket.tokens) };
        }
        return {
          granted: false,
          waitMs: Math.ceil(((cost - bucket.tokens) * 1000) / policy.ratePerSecond),
          remaining: 0,
        };
      }
      const windowStart =
        policy.type === 'fixed-window'
          ? Math.floor(now / policy.windowMs) * policy.windowMs
          : now - policy.windowMs + 1;
      const log = (grants.get(key) ?? []).filter((time) => time >= windowStart);
      grants.set(key, log);
      if (log.length + cost <= policy.limit) {
        for (let index = 0; index < cost; index++) log.push(now);
        return { granted: true, waitMs: 0, remaining: policy.limit - log.length };
      }
      const releaseAt =
        policy.type === 'fixed-window'
          ? windowStart + policy.windowMs
          : (log[log.length + cost - policy.limit - 1] ?? now) + policy.windowMs;
      return { granted: false, waitMs: Math.max(1, releaseAt - now), remaining: 0 };
    },
    async pause(key, durationMs) {
      pausedUntil.set(key, clock.now() + durationMs);
    },
  };
}

describeRateLimitStore('reference log store', ({ clock }) => referenceStore(clock));
