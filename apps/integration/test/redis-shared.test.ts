import { randomUUID } from 'node:crypto';
import { createTestServer, rateLimited } from '@ferrule/testing/vitest';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { SharedCacheResults } from './children/shared-cache.child.ts';
import type { SharedLimiterResults } from './children/shared-limiter.child.ts';
import { type Child, startChild, startTogether } from './support/child-process.ts';
import { deleteKeys, REDIS_URL } from './support/redis-server.ts';

// Real processes sharing one real Redis: the cache slot on redisCacheStore (with its lock), the rate-limit
// slot on redisRateLimitStore, each child running the full stack against a server on 127.0.0.1.
const TOKEN = 'shared-redis-token-5e2a';

function children(name: string, count: number, env: Record<string, string>): Child[] {
  const started = Array.from({ length: count }, () => startChild(name, { env: { ...env, TOKEN }, ipc: true }));
  onTestFinished(() => {
    for (const child of started) child.kill();
  });
  return started;
}

describe('Redis shared by several processes', () => {
  it('sends one upstream request for a cold URL that four processes ask for at once, through the Redis lock', async () => {
    const served = new Map<string, number>();
    const server = await createTestServer({
      'GET /cold/*': (request) => {
        if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401 };
        served.set(request.url, (served.get(request.url) ?? 0) + 1);
        // A slow origin, so that every process asks while the first is still waiting for it.
        return {
          delayMs: 300,
          json: { url: request.url, servedAt: served.get(request.url) },
          headers: { 'cache-control': 'max-age=60' },
        };
      },
    });
    const prefix = `ferrule-integration:${randomUUID()}:`;
    onTestFinished(() => deleteKeys(prefix));
    const urls = ['/cold/a', '/cold/b', '/cold/c'].map((path) => `${server.url}${path}`);
    const processes = children('shared-cache', 4, {
      URLS: JSON.stringify(urls),
      CALLS_PER_URL: '3',
      REDIS_URL,
      PREFIX: prefix,
    });

    await startTogether(processes);
    const reports = await Promise.all(processes.map((child) => child.next<SharedCacheResults>()));

    // What each process got, for the message of a failure: `a:miss`, `a:hit` …
    const got = JSON.stringify(
      reports.map((each) => each.results.map((result) => `${result.url.at(-1)}:${result.status}`)),
    );
    expect(server.requests.map((request) => request.url).sort(), got).toEqual(['/cold/a', '/cold/b', '/cold/c']);
    const results = reports.flatMap((each) => each.results);
    expect(results).toHaveLength(4 * 3 * 3);
    expect(results.every((result) => result.body.servedAt === 1)).toBe(true);
    for (const url of urls) {
      const statuses = results.filter((result) => result.url === url).map((result) => result.status);
      expect(statuses.filter((status) => status === 'miss')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'hit')).toHaveLength(11);
    }
    // One miss in four processes: three of them took every answer from another process, through Redis.
    const exits = await Promise.all(processes.map((child) => child.exited));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0, 0]);
  });

  it('holds one rate limit across three processes: 0 × 429 from a server that enforces it, at the rate it allows', async () => {
    const rate = 30;
    const burst = 5;
    const runMs = 3_000;
    // The server enforces `rate` per second (a token bucket) and says nothing of its quota: only the
    // shared store keeps the processes under it.
    const limited = rateLimited({ limit: rate, windowMs: 1_000, algorithm: 'token-bucket', headers: 'none' });
    const server = await createTestServer({ 'GET /limited': limited });
    const prefix = `ferrule-integration:${randomUUID()}:`;
    onTestFinished(() => deleteKeys(prefix));
    const processes = children('shared-limiter', 3, {
      TARGET: `${server.url}/limited`,
      REDIS_URL,
      PREFIX: prefix,
      RATE: String(rate),
      BURST: String(burst),
      RUN_MS: String(runMs),
      WORKERS: '6',
    });

    await startTogether(processes);
    const reports = await Promise.all(processes.map((child) => child.next<SharedLimiterResults>()));

    const ok = reports.map((each) => each.statuses['200'] ?? 0);
    const sum = ok.reduce((total, each) => total + each, 0);
    // Calls still queued at the end of the run go on after it: count the permits over the whole span.
    const spanMs = Math.max(...reports.flatMap((each) => each.sentAtMs));
    const allowed = burst + (rate * spanMs) / 1000;
    console.info(
      `[figures] 3 processes sharing a Redis token bucket of ${rate}/s (burst ${burst}): ${sum} × 200 ` +
        `(${ok.join(' + ')}) in ${spanMs} ms, ${limited.stats.refused} × 429; the limit allows ${allowed.toFixed(0)} ` +
        `in that time (${((100 * sum) / allowed).toFixed(1)}% used)`,
    );
    expect(limited.stats.refused).toBe(0);
    expect(reports.map((each) => Object.keys(each.statuses))).toEqual([['200'], ['200'], ['200']]);
    // Near what the limit allows, and every process had a share of it.
    expect(sum).toBeGreaterThanOrEqual(0.85 * allowed);
    for (const each of ok) expect(each).toBeGreaterThan(0);
  });
});
