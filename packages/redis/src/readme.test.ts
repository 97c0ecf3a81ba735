import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, expect, it, vi } from 'vitest';
import { redisCacheStore, redisConnection } from './index.ts';
import { deleteKeys, REDIS_URL } from './redis-server.test-helper.ts';

// The README's first example composes the store with `cache` of @ferrule/cache, which this package may not
// depend on; here run the examples that need this package alone, against the test Redis.
const admin = new Redis(REDIS_URL);
afterAll(() => admin.disconnect());

it('runs the README connection example: one connection shared by stores', async () => {
  const warned: unknown[][] = [];
  vi.spyOn(console, 'warn').mockImplementation((...line: unknown[]) => void warned.push(line));
  const prefix = `ferrule-test:${randomUUID()}:`;
  try {
    // --- README example (prefix made unique for the test) ---
    const connection = redisConnection({ onEvent: (event) => console.warn(event.store, event.action) });
    const httpCache = redisCacheStore({ connection, prefix });
    // … and a rate-limit store on the same connection: redisRateLimitStore({ connection }).
    // --- end of example ---
    await httpCache.set('key', { metadata: { status: 200 }, body: new Uint8Array([104, 105]) }, { ttlMs: 60_000 });
    expect((await httpCache.get('key'))?.body).toEqual(Buffer.from('hi'));
    await httpCache.close();
    expect(connection.available).toBe(true);
    // --- README example ---
    await connection.close(); // when the app shuts down
    // --- end of example ---
    expect(warned).toEqual([]);
  } finally {
    await deleteKeys(admin, prefix);
    vi.restoreAllMocks();
  }
});

it('runs the README store example as far as this package goes: a store and its lock', async () => {
  const prefix = `ferrule-test:${randomUUID()}:`;
  const store = redisCacheStore({ prefix });
  const other = redisCacheStore({ prefix });
  try {
    expect(await store.acquire('GET https://api.example.com/products/42', 5_000)).toBe(true);
    expect(await other.acquire('GET https://api.example.com/products/42', 5_000)).toBe(false);
    await store.release('GET https://api.example.com/products/42');
    expect(await admin.keys(`${prefix}*`)).toEqual([]);
  } finally {
    await store.close();
    await other.close();
  }
});
