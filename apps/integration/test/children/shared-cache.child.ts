// One process of an app that shares its HTTP cache in Redis: the full stack, with the cache slot on
// `redisCacheStore` and its lock. It asks for every URL several times at once and reports what it got.
import { bearer } from '@ferrule/auth';
import { cache, cacheStatus } from '@ferrule/cache';
import { metrics } from '@ferrule/observability';
import { rateLimit } from '@ferrule/rate-limit';
import { redisCacheStore } from '@ferrule/redis';
import { resilience } from '@ferrule/resilience';
import { createClient } from '@ferrule/transport';
import { readyThenGo, report, setting } from './protocol.ts';

/** What the child reports: every call's URL, cache status and body. */
export interface SharedCacheResults {
  type: 'results';
  results: { url: string; status: string | undefined; body: { servedAt: number } }[];
}

const urls = JSON.parse(setting('URLS')) as string[];
const callsPerUrl = Number(setting('CALLS_PER_URL'));
const store = redisCacheStore({ url: setting('REDIS_URL'), prefix: setting('PREFIX') });
const api = createClient({
  observability: metrics(),
  cache: cache({ store, dedupe: { lock: store, pollMs: 20 } }),
  resilience: resilience(),
  rateLimit: rateLimit(),
  auth: bearer(setting('TOKEN')),
});

await store.connection.run((client) => client.ping());
await readyThenGo();
const results = await Promise.all(
  urls.flatMap((url) =>
    Array.from({ length: callsPerUrl }, async () => {
      const response = await api.get(url);
      return { url, status: cacheStatus(response), body: await response.json<{ servedAt: number }>() };
    }),
  ),
);
await store.close();
report({ type: 'results', results } satisfies SharedCacheResults);
