// A redis-server of a test's own, on a free loopback port, that the test can stop and start again:
// the approach of @ferrule/redis's own test helper (REDIS_SERVER names the binary, else the one on PATH).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { redisConnection } from '@ferrule/redis';

/** The shared Redis of the test run (REDIS_URL, or the default). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Whether something on the port answers PING with +PONG.
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk;
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** A redis-server process of a test's own. */
export interface OwnRedis {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Starts it (again) on the same port and resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: a crash, not a graceful shutdown) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway redis-server (no persistence) on a free port of 127.0.0.1.
 * @example
 * const redis = await ownRedis();
 * await redis.stop();
 * await redis.start();
 */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  process.once('exit', () => child?.kill('SIGKILL'));
  const handle: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      for (let tries = 0; tries < 250; tries++) {
        if (await pong(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`redis-server on port ${port} did not start`);
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      child = undefined;
    },
  };
  await handle.start();
  return handle;
}

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
