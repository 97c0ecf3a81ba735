import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

// A free TCP port on 127.0.0.1.
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Whether something on the port answers PING with +PONG (RESP inline command: no Redis client needed).
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
 * Starts a throwaway `redis-server` (no persistence, `DEBUG` allowed) on a free port of 127.0.0.1, for
 * tests of what a store does when Redis goes away and comes back. The binary is `REDIS_SERVER`, or the
 * one on the PATH (a system package, not an npm one). It is killed when the process exits.
 * @example
 * const redis = await ownRedis();
 * await redis.stop();
 * await redis.start();
 */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  let child: ChildProcess | undefined;
  process.once('exit', () => child?.kill('SIGKILL'));
  const handle: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn(binary, [...args, '--enable-debug-command', 'yes'], { stdio: 'ignore' });
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
