// One process of an app that shares its rate limit in Redis: the full stack, with the rate-limit slot on
// `redisRateLimitStore`. Several workers call as fast as the limiter lets them until the run ends.
import { bearer } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import { metrics } from '@ferrule/observability';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { redisRateLimitStore } from '@ferrule/redis';
import { resilience } from '@ferrule/resilience';
import { createClient } from '@ferrule/transport';
import { readyThenGo, report, setting } from './protocol.ts';

/** What the child reports: its calls by status, and when each ended (ms after the start). */
export interface SharedLimiterResults {
  type: 'results';
  statuses: Record<string, number>;
  sentAtMs: number[];
}

const target = setting('TARGET');
const runMs = Number(setting('RUN_MS'));
const store = redisRateLimitStore({ url: setting('REDIS_URL'), prefix: setting('PREFIX') });
const api = createClient({
  observability: metrics(),
  cache: cache(),
  // No retries: a 429 must show, not be retried away.
  resilience: resilience({ retry: false, timeout: { totalMs: runMs + 5_000 } }),
  rateLimit: rateLimit({
    policy: tokenBucket({ ratePerSecond: Number(setting('RATE')), burst: Number(setting('BURST')) }),
    store,
  }),
  auth: bearer(setting('TOKEN')),
  throwHttpErrors: false,
});

await store.connection.run((client) => client.ping());
await readyThenGo();
const startMs = Date.now();
const statuses: Record<string, number> = {};
const sentAtMs: number[] = [];
async function worker(): Promise<void> {
  // Every call is unique (no cache hit) and goes through the shared limiter.
  while (Date.now() - startMs < runMs) {
    const response = await api.get(`${target}?call=${sentAtMs.length}-${Math.random()}`);
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    sentAtMs.push(Date.now() - startMs);
  }
}
await Promise.all(Array.from({ length: Number(setting('WORKERS')) }, worker));
await store.close();
report({ type: 'results', statuses, sentAtMs } satisfies SharedLimiterResults);
