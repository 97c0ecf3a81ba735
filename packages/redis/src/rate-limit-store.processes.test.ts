import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createTestServer, rateLimited } from '@ferrule/testing/vitest';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { deleteKeys, REDIS_URL } from './redis-server.test-helper.ts';

// Four Node processes share one Redis token bucket against one server that enforces R per second:
// real processes, real HTTP, real Redis, a bounded run.
const R = 40;
const PROCESSES = 4;
const BURST = 20;
const RUN_MS = 4_000;

// Each child is what a rate-limited client does with the store: one loop per key takes a permit
// (sleeping the wait the store names) and sends a call for each permit. It says when it is ready
// (imported, connected), then starts when the parent says.
const CHILD = `
process.on('disconnect', () => process.exit(1)); // the test is gone: so is this child
const { redisRateLimitStore } = await import(process.env.STORE_MODULE);
const { TARGET, REDIS, PREFIX, RUN_MS, R, BURST } = process.env;
const store = redisRateLimitStore({ url: REDIS, prefix: PREFIX });
const policy = { type: 'token-bucket', ratePerSecond: Number(R), burst: Number(BURST) };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const counts = { ok: 0, refused: 0, other: 0, takes: 0, grantsMs: [] };
await store.connection.run((client) => client.ping());
process.send('ready');
const startAt = await new Promise((resolve) => process.once('message', resolve));
await sleep(startAt - Date.now());
const endAt = startAt + Number(RUN_MS);
const calls = new Set();
async function call() {
  const response = await fetch(TARGET);
  await response.arrayBuffer();
  if (response.status === 200) counts.ok++;
  else if (response.status === 429) counts.refused++;
  else counts.other++;
}
while (Date.now() < endAt) {
  const take = await store.take('api', policy);
  counts.takes++;
  if (!take.granted) {
    await sleep(Math.min(take.waitMs, endAt - Date.now()));
    continue;
  }
  counts.grantsMs.push(Date.now() - startAt);
  const sent = call();
  calls.add(sent);
  sent.finally(() => calls.delete(sent));
}
await Promise.all(calls);
await store.close();
process.removeAllListeners('disconnect');
process.send(counts);
process.disconnect();
`;

interface Counts {
  ok: number;
  refused: number;
  other: number;
  takes: number;
  /** When each permit was granted, in ms after the common start. */
  grantsMs: number[];
}

interface Child {
  ready: Promise<void>;
  start(atMs: number): void;
  counts: Promise<Counts>;
  /** Ends the child if it still runs. */
  stop(): void;
}

function child(env: Record<string, string>): Child {
  const spawned = spawn(
    process.execPath,
    ['--conditions=@ferrule/source', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', CHILD],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  spawned.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const messages: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  spawned.on('message', (message) => {
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else messages.push(message);
  });
  const exited = new Promise<never>((_resolve, reject) =>
    spawned.on('exit', (code) => reject(new Error(`child exited with ${code}: ${stderr}`))),
  );
  const next = () =>
    Promise.race([
      messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => waiting.push(resolve)),
      exited,
    ]);
  const ready = next().then(() => undefined);
  return {
    ready,
    start: (atMs) => spawned.send(atMs),
    counts: ready.then(() => next() as Promise<Counts>),
    stop: () => {
      if (spawned.exitCode === null) spawned.kill();
    },
  };
}

const admin = new Redis(REDIS_URL);
afterAll(() => admin.disconnect());

it(`holds R across ${PROCESSES} processes sharing the Redis store: 0 × 429 and at least 95% of R`, async () => {
  const limited = rateLimited({ limit: R, windowMs: 1_000, algorithm: 'token-bucket' });
  const server = await createTestServer({ 'GET /limited': limited });
  const prefix = `ferrule-test:${randomUUID()}:`;
  const env = {
    STORE_MODULE: new URL('./rate-limit-store.ts', import.meta.url).href,
    TARGET: `${server.url}/limited`,
    REDIS: REDIS_URL,
    PREFIX: prefix,
    RUN_MS: String(RUN_MS),
    R: String(R),
    BURST: String(BURST),
  };
  const children = Array.from({ length: PROCESSES }, () => child(env));
  try {
    await Promise.all(children.map((each) => each.ready));
    // Every child is up and connected: all start together.
    const startAt = Date.now() + 200;
    for (const each of children) each.start(startAt);
    const counts = await Promise.all(children.map((each) => each.counts));
    const sum = (field: 'ok' | 'refused' | 'other' | 'takes') => counts.reduce((total, each) => total + each[field], 0);
    // Permits per second of the run: the first second holds the burst; after it, the rate the shared
    // bucket sustains.
    const perSecond = Array.from(
      { length: RUN_MS / 1000 },
      (_, second) =>
        counts.flatMap((each) => each.grantsMs).filter((atMs) => Math.floor(atMs / 1000) === second).length,
    );
    const steady = perSecond.slice(1);
    const sustained = steady.reduce((total, each) => total + each, 0) / steady.length;
    console.info(
      `[figures] ${PROCESSES} processes sharing Redis, R=${R}/s, burst ${BURST}, ${RUN_MS / 1000} s: ${sum('ok')} × 200 ` +
        `(${counts.map((each) => each.ok).join(' + ')}), ${sum('refused')} × 429, ${sum('takes')} takes; permits per ` +
        `second ${perSecond.join(', ')}; after the first second ${sustained.toFixed(1)}/s = ${((100 * sustained) / R).toFixed(1)}% of R`,
    );
    expect(sum('refused')).toBe(0);
    expect(sum('other')).toBe(0);
    expect(limited.stats.refused).toBe(0);
    expect(sustained).toBeGreaterThanOrEqual(0.95 * R);
    // Every process got a share: the limit is shared, not won by one.
    for (const each of counts) expect(each.ok).toBeGreaterThan(0);
  } finally {
    for (const each of children) each.stop();
    await deleteKeys(admin, prefix);
  }
}, 30_000);
