// The shared Redis of the test run and its key clean-up. A redis-server of a test's own comes from
// @ferrule/testing's ownRedis.
import { redisConnection } from '@ferrule/redis';

export { ownRedis } from '@ferrule/testing';

/** The shared Redis of the test run (REDIS_URL, or the default). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every key under `prefix` (a test's own prefix in the shared Redis). */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const connection = redisConnection({ url });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await connection.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await connection.client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await connection.close();
  }
}
