import { bearer } from '@ferrule/auth';
import { cache, cacheStatus } from '@ferrule/cache';
import { isFerruleError } from '@ferrule/core';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { redisCacheStore, redisRateLimitStore } from '@ferrule/redis';
import { resilience } from '@ferrule/resilience';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { createClient } from '@ferrule/transport';
import { expect, it, onTestFinished } from 'vitest';
import { type Observed, observe } from './support/observe.ts';
import { ownRedis } from './support/redis-server.ts';

// A redis-server of this test's own is killed in the middle of a run of calls and started again on the
// same port. Three clients share it: one caches in it, one limits in it failing open, one failing closed.
const TOKEN = 'restart-token-77b0';
type Phase = 'up' | 'down' | 'back' | 'changing';
interface Call {
  client: 'cache' | 'open' | 'closed';
  phase: Phase;
  path: string;
  outcome: string;
}

it('survives Redis going away mid-run: the cache passes through, the limiter fails open or closed as configured, and all recover', async () => {
  const redis = await ownRedis();
  onTestFinished(() => redis.stop());
  const server = await createTestServer({
    'GET /products/*': { json: { id: 1 }, headers: { 'cache-control': 'max-age=60' } },
    'GET /orders/*': { json: [] },
  });

  const policy = tokenBucket({ ratePerSecond: 200, burst: 50 });
  const stores = {
    cache: redisCacheStore({ url: redis.url, prefix: 'restart:cache:' }),
    open: redisRateLimitStore({ url: redis.url, prefix: 'restart:open:' }),
    closed: redisRateLimitStore({ url: redis.url, prefix: 'restart:closed:', onUnavailable: 'closed' }),
  };
  onTestFinished(async () => {
    await Promise.all(Object.values(stores).map((store) => store.close()));
  });
  const client = (slots: { cache?: ReturnType<typeof cache>; rateLimit?: ReturnType<typeof rateLimit> }) => {
    const observed = observe();
    return {
      observed,
      api: createClient({
        baseUrl: server.url,
        observability: observed.middlewares,
        ...slots,
        resilience: resilience({ timeout: { totalMs: 5_000 } }),
        auth: bearer(TOKEN),
        onEvent: observed.onEvent,
      }),
    };
  };
  const clients = {
    cache: client({ cache: cache({ store: stores.cache, dedupe: { lock: stores.cache } }) }),
    open: client({ rateLimit: rateLimit({ policy, store: stores.open }) }),
    closed: client({ rateLimit: rateLimit({ policy, store: stores.closed }) }),
  };

  // The run: each client calls in a loop, every call tagged with its phase (`changing` when Redis was
  // stopped or started while it was under way).
  const calls: Call[] = [];
  let phase: Phase = 'up';
  let running = true;
  const loop = async (name: Call['client']) => {
    for (let index = 0; running; index++) {
      const started = phase;
      const path = name === 'cache' ? 'products/1' : `orders/${name}-${index}`;
      const outcome = await clients[name].api
        .get(path)
        .then((response) => (name === 'cache' ? (cacheStatus(response) ?? 'none') : String(response.status)))
        .catch((error: unknown) => (isFerruleError(error) ? error.code : `untyped ${String(error)}`));
      calls.push({ client: name, phase: phase === started ? started : 'changing', path, outcome });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const loops = Promise.all((['cache', 'open', 'closed'] as const).map(loop));
  const seen = (name: Call['client'], when: Phase) =>
    calls.filter((call) => call.client === name && call.phase === when);
  const storeEvents = (observed: Observed) => observed.eventsOf('store').map((event) => event.action);

  await waitUntil(() => seen('cache', 'up').length >= 5 && seen('closed', 'up').length >= 5);
  phase = 'changing';
  await redis.stop();
  phase = 'down';
  await waitUntil(() => (['cache', 'open', 'closed'] as const).every((name) => seen(name, 'down').length >= 5));
  phase = 'changing';
  await redis.start();
  phase = 'back';
  await waitUntil(
    () =>
      seen('closed', 'back').filter((call) => call.outcome === '200').length >= 3 &&
      seen('cache', 'back').filter((call) => call.outcome === 'hit').length >= 3,
    { maxRealMs: 15_000, message: 'the clients did not come back to Redis' },
  );
  running = false;
  await loops;

  const outcomes = (name: Call['client'], when: Phase) => new Set(seen(name, when).map((call) => call.outcome));
  // Up: the cache answers from Redis after the first miss; both limiters let calls through.
  expect(outcomes('cache', 'up')).toEqual(new Set(['miss', 'hit']));
  expect(outcomes('open', 'up')).toEqual(new Set(['200']));
  expect(outcomes('closed', 'up')).toEqual(new Set(['200']));
  // Down: the cache passes every call through to the network; fail-open goes on; fail-closed refuses,
  // unsent, with a StoreError — and nothing crashed.
  expect(outcomes('cache', 'down')).toEqual(new Set(['miss']));
  expect(outcomes('open', 'down')).toEqual(new Set(['200']));
  expect(outcomes('closed', 'down')).toEqual(new Set(['STORE']));
  expect(storeEvents(clients.cache.observed)).toEqual(['unavailable', 'recovered']);
  expect(storeEvents(clients.open.observed)).toEqual(['unavailable', 'recovered']);
  expect(storeEvents(clients.closed.observed)).toEqual(['unavailable', 'recovered']);
  expect(clients.open.observed.eventsOf('store')[0]?.reason).toMatch(/failing open/);
  // Back: every client uses Redis again.
  expect(seen('cache', 'back').at(-1)?.outcome).toBe('hit');
  expect(seen('closed', 'back').at(-1)?.outcome).toBe('200');
  expect(calls.filter((call) => call.outcome.startsWith('untyped'))).toEqual([]);
  // The refused calls never left the process.
  const received = new Set(server.requests.map((request) => request.url.slice(1)));
  expect(seen('closed', 'down').filter((call) => received.has(call.path))).toEqual([]);
  expect(seen('open', 'down').every((call) => received.has(call.path))).toBe(true);
}, 30_000);
