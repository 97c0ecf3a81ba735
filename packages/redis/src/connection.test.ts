import { isStoreError } from '@ferrule/core';
import { ownRedis } from '@ferrule/testing';
import { waitUntil } from '@ferrule/testing/vitest';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { redisCacheStore } from './cache-store.ts';
import { redisConnection, type StoreEvent } from './connection.ts';
import { REDIS_URL } from './redis-server.test-helper.ts';

const record = { metadata: { version: 1 }, body: new Uint8Array([1, 2, 3]) };

describe('redisConnection', () => {
  it('uses REDIS_URL when no url is given', async () => {
    const server = await ownRedis();
    const previous = process.env.REDIS_URL;
    process.env.REDIS_URL = server.url;
    const connection = redisConnection();
    process.env.REDIS_URL = previous;
    onTestFinished(async () => {
      await connection.close();
      await server.stop();
    });
    await connection.run((client) => client.set('marker', 'here'));
    const direct = new Redis(server.url);
    expect(await direct.get('marker')).toBe('here');
    direct.disconnect();
  });

  it('fails fast while Redis is down, reports it once, and recovers when Redis is back', async () => {
    const server = await ownRedis();
    const events: StoreEvent[] = [];
    const store = redisCacheStore({ url: server.url, onEvent: (event) => events.push(event) });
    onTestFinished(async () => {
      await store.close();
      await server.stop();
    });
    await store.set('key', record);
    expect((await store.get('key'))?.metadata).toEqual({ version: 1 });

    await server.stop();
    await waitUntil(() => !store.connection.available);
    // Every call now fails at once with a StoreError; it never waits for a timeout.
    const failures = await Promise.all(
      [store.get('key'), store.set('key', record), store.delete('key')].map((call) =>
        call.catch((error: unknown) => error),
      ),
    );
    for (const failure of failures) {
      expect(isStoreError(failure)).toBe(true);
      expect(String((failure as Error).message)).not.toContain('127.0.0.1');
    }
    expect(events).toEqual([{ type: 'store', store: 'redis', action: 'unavailable', reason: expect.any(String) }]);

    await server.start();
    await waitUntil(() => store.connection.available, { maxRealMs: 10_000 });
    expect(events.at(-1)).toEqual({ type: 'store', store: 'redis', action: 'recovered' });
    expect(events.filter((event) => event.action === 'unavailable')).toHaveLength(1);
    // The server came back empty (no persistence): a miss, then a working write.
    expect(await store.get('key')).toBeUndefined();
    await store.set('key', record);
    expect((await store.get('key'))?.body).toEqual(Buffer.from([1, 2, 3]));
  });

  it('gives up on a command that Redis does not answer in commandTimeoutMs', async () => {
    const server = await ownRedis();
    const store = redisCacheStore({ url: server.url, commandTimeoutMs: 100 });
    const blocker = new Redis(server.url);
    onTestFinished(async () => {
      blocker.disconnect();
      await store.close();
      await server.stop();
    });
    await store.set('key', record);
    // CLIENT PAUSE holds every other client's commands for 0.5 s, from the moment it answers.
    await blocker.call('CLIENT', 'PAUSE', '500', 'ALL');
    const error = await store.get('key').catch((caught: unknown) => caught);
    expect(isStoreError(error)).toBe(true);
    expect(((error as Error).cause as Error).message).toMatch(/timed out/i);
    await waitUntil(async () => (await store.get('key').catch(() => undefined))?.metadata !== undefined);
  });

  it('listens on a client of your own and leaves it open on close', async () => {
    const client = new Redis(REDIS_URL);
    const connection = redisConnection({ client, name: 'shared' });
    await connection.close();
    expect(await client.ping()).toBe('PONG');
    expect(client.listenerCount('ready')).toBe(0);
    client.disconnect();
  });

  it('rejects a url that is not redis:// or rediss:// without echoing it', () => {
    try {
      redisConnection({ url: 'https://user:hunter2@cache.example' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('redisConnection.url');
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('never lets a throwing listener break anything', async () => {
    const server = await ownRedis();
    const connection = redisConnection({
      url: server.url,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    onTestFinished(async () => {
      await connection.close();
      await server.stop();
    });
    await server.stop();
    await waitUntil(() => !connection.available);
    await server.start();
    await waitUntil(() => connection.available, { maxRealMs: 10_000 });
    expect(await connection.run((client) => client.ping())).toBe('PONG');
  });
});
