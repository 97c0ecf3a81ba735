import { randomUUID } from 'node:crypto';
import { type CacheRecord, isConfigError, isStoreError } from '@ferrule/core';
import { describeCacheStore, waitUntil } from '@ferrule/testing/vitest';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { type RedisCacheStore, redisCacheStore } from './cache-store.ts';
import { redisConnection } from './connection.ts';
import { deleteKeys, REDIS_URL } from './redis-server.test-helper.ts';

const admin = new Redis(REDIS_URL);
afterAll(() => admin.disconnect());

const prefixes = new WeakMap<RedisCacheStore, string>();
const freshStore = () => {
  const prefix = `ferrule-test:${randomUUID()}:`;
  const store = redisCacheStore({ url: REDIS_URL, prefix });
  prefixes.set(store, prefix);
  return store;
};
const cleanup = async (store: RedisCacheStore) => {
  await deleteKeys(admin, prefixes.get(store) ?? 'none');
  await store.close();
};

describeCacheStore('redis', freshStore, { time: 'real', cleanup });

const record = (text: string): CacheRecord => ({ metadata: { text }, body: new TextEncoder().encode(text) });

describe('redisCacheStore', () => {
  it('keeps its entries under its prefix and expires them with Redis PX', async () => {
    const store = freshStore();
    try {
      await store.set('GET https://api.test/a', record('a'), { ttlMs: 60_000 });
      const prefix = prefixes.get(store) ?? '';
      const ttl = await admin.pttl(`${prefix}GET https://api.test/a`);
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await admin.keys(`${prefix}*`)).toEqual([`${prefix}GET https://api.test/a`]);
    } finally {
      await cleanup(store);
    }
  });

  it('treats a time to live under one millisecond as already expired', async () => {
    const store = freshStore();
    try {
      await store.set('key', record('old'));
      await store.set('key', record('new'), { ttlMs: 0.5 });
      expect(await store.get('key')).toBeUndefined();
    } finally {
      await cleanup(store);
    }
  });

  it('answers a value it did not write as a miss and removes it', async () => {
    const store = freshStore();
    const prefix = prefixes.get(store) ?? '';
    try {
      await admin.set(`${prefix}garbage`, 'not an entry');
      await admin.set(`${prefix}truncated`, Buffer.from([1, 0, 0, 0, 99, 123]));
      await admin.set(`${prefix}not-json`, Buffer.from([1, 0, 0, 0, 1, 0x7b]));
      for (const key of ['garbage', 'truncated', 'not-json']) {
        expect(await store.get(key)).toBeUndefined();
        expect(await admin.exists(`${prefix}${key}`)).toBe(0);
      }
    } finally {
      await cleanup(store);
    }
  });

  it('shares one connection between stores and closes only what it opened', async () => {
    const connection = redisConnection({ url: REDIS_URL });
    const first = redisCacheStore({ connection, prefix: `ferrule-test:${randomUUID()}:` });
    const second = redisCacheStore({ connection, prefix: `ferrule-test:${randomUUID()}:` });
    try {
      await first.set('key', record('first'));
      await second.set('key', record('second'));
      await first.close();
      expect((await first.get('key'))?.metadata).toEqual({ text: 'first' });
      expect((await second.get('key'))?.metadata).toEqual({ text: 'second' });
      await first.delete('key');
      await second.delete('key');
    } finally {
      await connection.close();
    }
  });

  it('rejects a wrong option at creation with a ConfigError that names it', () => {
    expect(() => redisCacheStore({ prefix: 7 as unknown as string })).toThrow(
      expect.objectContaining({ option: 'redisCacheStore.prefix' }),
    );
    const error = (() => {
      try {
        redisCacheStore({ url: 'http://user:secret@redis.test' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(isConfigError(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain('secret');
  });
});

describe('redisCacheStore lock', () => {
  // Two stores on one prefix, as two processes; Redis keeps the time, so expiry is waited out for real.
  const holders = () => {
    const first = freshStore();
    const prefix = prefixes.get(first) ?? '';
    const second = redisCacheStore({ url: REDIS_URL, prefix });
    onTestFinished(async () => {
      await second.close();
      await cleanup(first);
    });
    return { first, second, lockKey: `${prefix}lock:GET /cold` };
  };

  it('lets one holder at a time take a key, until it releases it', async () => {
    const { first, second } = holders();
    expect(await first.acquire('GET /cold', 5_000)).toBe(true);
    expect(await second.acquire('GET /cold', 5_000)).toBe(false);
    expect(await second.acquire('GET /other', 5_000)).toBe(true);
    await first.release('GET /cold');
    expect(await second.acquire('GET /cold', 5_000)).toBe(true);
  });

  it('frees a lock whose holder never released it when its time runs out', async () => {
    const { first, second, lockKey } = holders();
    expect(await first.acquire('GET /cold', 200)).toBe(true);
    expect(await second.acquire('GET /cold', 200)).toBe(false);
    const ttl = await admin.pttl(lockKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
    await waitUntil(() => second.acquire('GET /cold', 5_000));
  });

  it('never releases a lock that another holder took after its own expired', async () => {
    const { first, second, lockKey } = holders();
    expect(await first.acquire('GET /cold', 100)).toBe(true);
    await waitUntil(() => second.acquire('GET /cold', 5_000));
    await first.release('GET /cold');
    expect(await admin.exists(lockKey)).toBe(1);
    expect(await first.acquire('GET /cold', 5_000)).toBe(false);
  });

  it('fails with a StoreError when the lock cannot be reached', async () => {
    const store = redisCacheStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
    try {
      const error = await store.acquire('GET /cold', 1_000).catch((caught: unknown) => caught);
      expect(isStoreError(error)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
