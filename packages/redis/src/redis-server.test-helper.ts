// Test helpers: a redis-server of a test's own, on a free loopback port, that the test can stop and start.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** The shared Redis of the test run (REDIS_URL, or the default). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The redis-server executable (a system binary, not an npm one): REDIS_SERVER, or the one on the PATH. */
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server process of this test's own. */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server (no persistence, DEBUG allowed) on a free port. */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const handle: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(
        REDIS_SERVER,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--enable-debug-command',
          'yes',
        ],
        { stdio: 'ignore' },
      );
      // Ready when it answers PING.
      const probe = new Redis(handle.url, { lazyConnect: true, retryStrategy: () => 20, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        for (let tries = 0; tries < 250; tries++) {
          if (
            await probe.ping().then(
              () => true,
              () => false,
            )
          )
            return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`redis-server on port ${port} did not start`);
      } finally {
        probe.disconnect();
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      child = undefined;
    },
  };
  await handle.start();
  return handle;
}

/** Deletes every key under `prefix` in the shared Redis. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
