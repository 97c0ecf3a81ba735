// Test helpers: the shared Redis of the run and its key clean-up. A redis-server of a test's own comes
// from @ferrule/testing's ownRedis.
import type { Redis } from 'ioredis';

/** The shared Redis of the test run (REDIS_URL, or the default). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every key under `prefix` in the shared Redis. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
