import { randomUUID } from 'node:crypto';
import type { RateLimitPolicy } from '@ferrule/core';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { redisConnection, redisRateLimitStore } from './index.ts';
import { deleteKeys, REDIS_URL } from './redis-server.test-helper.ts';

// The README's rate-limit example composes the store with `rateLimit` of @ferrule/rate-limit, which
// this package may not depend on; here it runs as far as this package goes, against the test Redis.
const admin = new Redis(REDIS_URL);
afterAll(() => admin.disconnect());

// What `tokenBucket({ ratePerSecond: 20 })` of @ferrule/rate-limit builds.
const twentyPerSecond: RateLimitPolicy = { type: 'token-bucket', ratePerSecond: 20, burst: 20 };

it('runs the README rate-limit example: four processes share one limit of 20 per second', async () => {
  const prefix = `ferrule-test:${randomUUID()}:`;
  // Four stores as four processes would open them (the example's prefix made unique for the test).
  const stores = Array.from(
    { length: 4 },
    () =>
      // --- README example ---
      redisRateLimitStore({ prefix, localShare: 0.25 }),
    // --- end of example ---
  );
  try {
    const takes = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        (stores[index % 4] as (typeof stores)[number]).take('https://api.example.com', twentyPerSecond),
      ),
    );
    expect(takes.filter((take) => take.granted)).toHaveLength(20);
    const refused = takes.find((take) => !take.granted);
    expect(refused?.waitMs).toBeGreaterThan(0);
    expect(refused?.waitMs).toBeLessThanOrEqual(50);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await deleteKeys(admin, prefix);
  }
});

it('shares one connection with the cache store, as the connection example says', async () => {
  const prefix = `ferrule-test:${randomUUID()}:`;
  const connection = redisConnection();
  const store = redisRateLimitStore({ connection, prefix });
  try {
    await store.pause('https://api.example.com', 1_000);
    expect((await store.take('https://api.example.com', twentyPerSecond)).granted).toBe(false);
    await store.close();
    expect(connection.available).toBe(true);
  } finally {
    await connection.close();
    await deleteKeys(admin, prefix);
  }
});
