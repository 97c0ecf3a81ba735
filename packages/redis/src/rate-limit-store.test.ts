import { randomUUID } from 'node:crypto';
import {
  type EmittedEvent,
  isConfigError,
  isStoreError,
  type RateLimitPolicy,
  type RateLimitStore,
} from '@ferrule/core';
import { ownRedis } from '@ferrule/testing';
import { describeRateLimitStore, waitUntil } from '@ferrule/testing/vitest';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { redisConnection } from './connection.ts';
import { type RedisRateLimitStore, type RedisRateLimitStoreOptions, redisRateLimitStore } from './rate-limit-store.ts';
import { localRateLimitStore } from './rate-limit-store-local.ts';
import { deleteKeys, REDIS_URL } from './redis-server.test-helper.ts';

const admin = new Redis(REDIS_URL);
afterAll(() => admin.disconnect());

const prefixes = new WeakMap<RedisRateLimitStore, string>();
const freshStore = (options: RedisRateLimitStoreOptions = {}) => {
  const prefix = `ferrule-test:${randomUUID()}:`;
  const store = redisRateLimitStore({ url: REDIS_URL, prefix, ...options });
  prefixes.set(store, prefix);
  return store;
};
const cleanup = async (store: RedisRateLimitStore) => {
  await deleteKeys(admin, prefixes.get(store) ?? 'none');
  await store.close();
};
const tracked = (options: RedisRateLimitStoreOptions = {}) => {
  const store = freshStore(options);
  onTestFinished(() => cleanup(store));
  return store;
};

describeRateLimitStore('redis', () => freshStore(), { time: 'real', cleanup });

const bucket: RateLimitPolicy = { type: 'token-bucket', ratePerSecond: 1, burst: 2 };

describe('redisRateLimitStore', () => {
  it('holds one limit for several connections: concurrent takes never get more than the burst', async () => {
    const one = tracked();
    const two = redisRateLimitStore({ url: REDIS_URL, prefix: prefixes.get(one) as string });
    onTestFinished(() => two.close());
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => (index % 2 ? one : two).take('api', { ...bucket, burst: 5 })),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(5);
  });

  it("times windows and refills by Redis's clock, not the process's", async () => {
    const store = tracked();
    await store.take('api', bucket, 2);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000); // this process now believes an hour has passed
      const refused = await store.take('api', bucket);
      expect(refused.granted).toBe(false);
      expect(refused.waitMs).toBeGreaterThan(900);
      expect(refused.waitMs).toBeLessThanOrEqual(1_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('aligns fixed windows to the epoch by Redis TIME, so every process agrees', async () => {
    const store = tracked();
    const policy: RateLimitPolicy = { type: 'fixed-window', limit: 1, windowMs: 60_000 };
    await store.take('api', policy);
    const [seconds, micros] = await admin.time();
    const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const refused = await store.take('api', policy);
    const expectedMs = 60_000 - (redisNowMs % 60_000);
    expect(Math.abs(refused.waitMs - expectedMs)).toBeLessThanOrEqual(50);
  });

  it('shares a pause with every connection that uses the prefix, and keeps the longer of two', async () => {
    const one = tracked();
    const two = redisRateLimitStore({ url: REDIS_URL, prefix: prefixes.get(one) as string });
    onTestFinished(() => two.close());
    await one.pause('api', 5_000);
    await two.pause('api', 10);
    const refused = await two.take('api', bucket);
    expect(refused.granted).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(4_000);
  });

  it('keeps its keys under its prefix, with one hash tag per key, and lets them expire', async () => {
    const store = tracked();
    const prefix = prefixes.get(store) as string;
    await store.take('https://api.test', bucket);
    await store.take('https://api.test', { type: 'sliding-window', limit: 5, windowMs: 2_000 });
    await store.pause('https://api.test', 1_500);
    const keys = (await admin.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([
      `${prefix}{https://api.test}:pause`,
      `${prefix}{https://api.test}:sliding-window`,
      `${prefix}{https://api.test}:token-bucket`,
    ]);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2_000);
    }
  });

  it('names an infinite wait for a cost no policy could ever grant', async () => {
    const store = tracked();
    expect((await store.take('api', bucket, 3)).waitMs).toBe(Infinity);
    expect((await store.take('api', { type: 'fixed-window', limit: 2, windowMs: 100 }, 3)).waitMs).toBe(Infinity);
    expect((await store.take('api', { type: 'sliding-window', limit: 2, windowMs: 100 }, 3)).waitMs).toBe(Infinity);
  });

  it.each([
    ['a cost of 0', (store: RateLimitStore) => store.take('k', bucket, 0), 'take.cost'],
    ['a fractional cost', (store: RateLimitStore) => store.take('k', bucket, 1.5), 'take.cost'],
    ['an unknown policy', (store: RateLimitStore) => store.take('k', { type: 'leaky' } as never), 'take.policy'],
    [
      'a rate of NaN',
      (store: RateLimitStore) => store.take('k', { type: 'token-bucket', ratePerSecond: Number.NaN, burst: 1 }),
      'take.policy',
    ],
    ['a negative pause', (store: RateLimitStore) => store.pause('k', -1), 'pause.durationMs'],
  ])('refuses %s with a ConfigError, touching nothing', async (_name, call, option) => {
    const store = tracked();
    const error = await call(store).catch((caught: unknown) => caught);
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
    expect(await admin.keys(`${prefixes.get(store)}*`)).toEqual([]);
  });

  it.each([
    [{ onUnavailable: 'ajar' }, 'redisRateLimitStore.onUnavailable'],
    [{ localShare: 0 }, 'redisRateLimitStore.localShare'],
    [{ fallback: { take: () => {} } }, 'redisRateLimitStore.fallback.pause'],
    [{ prefix: 7 }, 'redisRateLimitStore.prefix'],
    [{ url: 'http://user:hunter2@cache.example' }, 'redisConnection.url'],
  ])('refuses %o with a ConfigError naming %s, without echoing it', (options, option) => {
    expect(() => redisRateLimitStore(options as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG', option, message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('shares a connection with other stores and leaves it open on close', async () => {
    const connection = redisConnection({ url: REDIS_URL });
    onTestFinished(() => connection.close());
    const store = redisRateLimitStore({ connection, prefix: `ferrule-test:${randomUUID()}:` });
    await store.take('api', bucket);
    await store.close();
    expect(await connection.run((client) => client.ping())).toBe('PONG');
  });
});

describe('redisRateLimitStore while Redis is unreachable', () => {
  const events = () => {
    const seen: EmittedEvent[] = [];
    return { seen, emit: (event: EmittedEvent) => void seen.push(event) };
  };

  it('fails open to a local limit, reports it once, and goes back to Redis when it answers again', async () => {
    const server = await ownRedis();
    const store = redisRateLimitStore({ url: server.url, localShare: 0.5 });
    onTestFinished(async () => {
      await store.close();
      await server.stop();
    });
    const policy: RateLimitPolicy = { type: 'token-bucket', ratePerSecond: 1, burst: 4 };
    const { seen, emit } = events();
    expect((await store.take('api', policy, 4, emit)).granted).toBe(true);

    await server.stop();
    await waitUntil(() => !store.connection.available);
    // The local limit: half of the burst of 4, whatever Redis had counted.
    const local = [];
    for (let index = 0; index < 3; index++) local.push(await store.take('api', policy, 1, emit));
    expect(local.map((take) => take.granted)).toEqual([true, true, false]);
    expect(local[2]?.waitMs).toBeGreaterThan(1_000);
    await store.pause('api', 1_000, emit);
    expect(seen).toEqual([
      { type: 'store', store: 'redis', action: 'unavailable', reason: expect.stringMatching(/failing open$/) },
    ]);

    await server.start();
    await waitUntil(() => store.connection.available, { maxRealMs: 10_000 });
    // The restarted Redis is empty: its bucket is full again.
    expect((await store.take('api', policy, 4, emit)).granted).toBe(true);
    expect(seen.at(-1)).toEqual({ type: 'store', store: 'redis', action: 'recovered' });
    expect(seen).toHaveLength(2);
  });

  it('fails open to the fallback store it is given', async () => {
    const server = await ownRedis();
    const calls: string[] = [];
    const local = localRateLimitStore(1);
    const fallback: RateLimitStore = {
      take: (key, policy, cost) => {
        calls.push(`take ${key}`);
        return local.take(key, policy, cost);
      },
      pause: (key, durationMs) => {
        calls.push(`pause ${key} ${durationMs}`);
        return local.pause(key, durationMs);
      },
    };
    const store = redisRateLimitStore({ url: server.url, fallback });
    onTestFinished(async () => {
      await store.close();
      await server.stop();
    });
    await server.stop();
    await waitUntil(() => !store.connection.available);
    await store.pause('api', 250);
    expect((await store.take('api', bucket)).granted).toBe(false);
    expect(calls).toEqual(['pause api 250', 'take api']);
  });

  it('fails closed with a StoreError that names no host, and reports it', async () => {
    const server = await ownRedis();
    const store = redisRateLimitStore({ url: server.url, onUnavailable: 'closed' });
    onTestFinished(async () => {
      await store.close();
      await server.stop();
    });
    await server.stop();
    await waitUntil(() => !store.connection.available);
    const { seen, emit } = events();
    const error = await store.take('api', bucket, 1, emit).catch((caught: unknown) => caught);
    expect(isStoreError(error)).toBe(true);
    expect((error as Error).message).not.toContain('127.0.0.1');
    await expect(store.pause('api', 100, emit)).rejects.toSatisfy(isStoreError);
    expect(seen).toEqual([
      { type: 'store', store: 'redis', action: 'unavailable', reason: expect.stringMatching(/failing closed$/) },
    ]);
  });

  it('gives up on a Redis that does not answer within commandTimeoutMs and limits locally', async () => {
    const server = await ownRedis();
    const store = redisRateLimitStore({ url: server.url, commandTimeoutMs: 100 });
    const blocker = new Redis(server.url);
    onTestFinished(async () => {
      blocker.disconnect();
      await store.close();
      await server.stop();
    });
    await store.take('api', bucket);
    // CLIENT PAUSE holds every other client's commands for 0.5 s, from the moment it answers.
    await blocker.call('CLIENT', 'PAUSE', '500', 'ALL');
    const { seen, emit } = events();
    expect((await store.take('api', bucket, 1, emit)).granted).toBe(true);
    expect(seen).toEqual([expect.objectContaining({ action: 'unavailable' })]);
  });
});

describe('localRateLimitStore', () => {
  // It times by the process clock: freeze it, and move it by hand.
  let nowMs = 0;
  const advance = (ms: number) => {
    nowMs += ms;
    vi.setSystemTime(nowMs);
  };
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    advance(1_000_000 - nowMs);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps a token bucket exactly, scaled by its share', async () => {
    const store = localRateLimitStore(0.5);
    const policy: RateLimitPolicy = { type: 'token-bucket', ratePerSecond: 10, burst: 10 };
    const results = [];
    for (let index = 0; index < 6; index++) results.push(await store.take('k', policy));
    expect(results.map((take) => take.granted)).toEqual([true, true, true, true, true, false]);
    expect(results[5]?.waitMs).toBe(200); // half the rate: one token per 200 ms
    advance(199);
    expect((await store.take('k', policy)).granted).toBe(false);
    advance(1);
    expect((await store.take('k', policy)).granted).toBe(true);
  });

  it('turns a window into a bucket of the same capacity and average rate', async () => {
    const store = localRateLimitStore(1);
    const policy: RateLimitPolicy = { type: 'sliding-window', limit: 3, windowMs: 3_000 };
    for (let index = 0; index < 3; index++) expect((await store.take('k', policy)).granted).toBe(true);
    expect(await store.take('k', policy)).toEqual({ granted: false, waitMs: 1_000, remaining: 0 });
    expect((await store.take('k', policy, 4)).waitMs).toBe(Infinity);
    advance(1_000);
    expect((await store.take('k', policy)).granted).toBe(true);
  });

  it('keeps every process at least one permit, and honours a pause until it ends', async () => {
    const store = localRateLimitStore(0.01);
    const policy: RateLimitPolicy = { type: 'fixed-window', limit: 10, windowMs: 60_000 };
    expect((await store.take('k', policy)).granted).toBe(true);
    await store.pause('other', 500);
    expect(await store.take('other', policy)).toEqual({ granted: false, waitMs: 500, remaining: 0 });
    advance(500);
    expect((await store.take('other', policy)).granted).toBe(true);
  });
});
