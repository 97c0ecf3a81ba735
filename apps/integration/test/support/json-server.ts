import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A json-server child process on 127.0.0.1. */
export interface JsonServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops the process and removes its database file. */
  close(): Promise<void>;
}

/** The two json-server lines the tests run against: 0.17 (`_page`/`_limit`, Link) and 1.x (`_per_page`, envelope). */
export type JsonServerVersion = '0.17' | '1';

const require = createRequire(import.meta.url);
const BINS: Record<JsonServerVersion, string> = {
  '0.17': join(dirname(require.resolve('json-server/package.json')), 'lib/cli/bin.js'),
  '1': join(dirname(require.resolve('json-server-1/package.json')), 'lib/bin.js'),
};
const LOOPBACK = fileURLToPath(new URL('./json-server-loopback.mjs', import.meta.url));
const running = new Set<ChildProcess>();
// A test run that dies must not leave a server behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// Resolves with the port the child reports, rejects when it exits first or takes too long.
function portOf(child: ChildProcess, maxMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`json-server did not start in ${maxMs} ms: ${output}`)), maxMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /json-server-port=(\d+)/.exec(output);
      if (found) done(() => resolve(Number(found[1])));
    };
    const onExit = (code: number | null) => fail(new Error(`json-server exited with ${code}: ${output}`));
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    const fail = (error: Error) => done(() => reject(error));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts json-server (0.17 or 1.x) as a child process serving `data`, bound to 127.0.0.1 on a free
 * port, and resolves once it answers HTTP.
 * @example
 * const server = await startJsonServer('0.17', { records: [{ id: 1 }] });
 * await fetch(`${server.url}/records?_page=1`);
 * await server.close();
 */
export async function startJsonServer(version: JsonServerVersion, data: Record<string, unknown>): Promise<JsonServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrule-json-server-'));
  const database = join(dir, 'db.json');
  await writeFile(database, JSON.stringify(data));
  // json-server 1 serves ./public and fails without it.
  await mkdir(join(dir, 'public'));
  const args =
    version === '0.17' ? [database, '--port', '0', '--host', '127.0.0.1', '--quiet'] : [database, '--port', '0'];
  const child = spawn(process.execPath, ['--import', LOOPBACK, BINS[version], ...args], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const close = async () => {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const url = `http://127.0.0.1:${await portOf(child, 20_000)}`;
    // Listening is not answering yet: wait for a first response.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answered = await fetch(`${url}/`).then(
        (response) => response.body?.cancel().then(() => true),
        () => false,
      );
      if (answered) break;
      if (Date.now() > deadline) throw new Error(`json-server ${version} never answered on ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.stdout?.resume();
    child.stderr?.resume();
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
