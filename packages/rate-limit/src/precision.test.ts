import { createFetch, type FetchFunction } from '@ferrule/core';
import { createTestServer, type RateLimitHeaderStyle, rateLimited } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { rateLimit, tokenBucket } from './index.ts';

// Real HTTP, real time, bounded runs: these measure what the unit tests prove on a fake clock.
const R = 50; // requests per second the server allows
const RUN_MS = 3_000;
const WORKERS = 8;

/** Calls `url` from `workers` loops until `runMs` has passed; counts the answers by status. */
async function drive(fetch: FetchFunction, url: string, workers = WORKERS, runMs = RUN_MS) {
  const startMs = performance.now();
  const startEpochMs = Date.now();
  const statuses = new Map<number, number>();
  const loop = async () => {
    while (performance.now() - startMs < runMs) {
      const response = await fetch(url);
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  const seconds = (performance.now() - startMs) / 1000;
  const ok = statuses.get(200) ?? 0;
  const refused = statuses.get(429) ?? 0;
  // The server's fixed windows are whole seconds of the epoch: how many the run touched.
  const windows = Math.floor(Date.now() / 1000) - Math.floor(startEpochMs / 1000) + 1;
  return { ok, refused, total: ok + refused, seconds, windows };
}

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

describe('rateLimit over real HTTP', () => {
  it('keeps one client with the matching token bucket at 0 × 429 and at least 95% of R', async () => {
    const burst = 10;
    const limited = rateLimited({ limit: R, windowMs: 1_000, algorithm: 'token-bucket' });
    const server = await createTestServer({ 'GET /limited': limited });
    const fetch = createFetch({ use: [rateLimit({ policy: tokenBucket({ ratePerSecond: R, burst }) })] });
    const run = await drive(fetch, `${server.url}/limited`);
    // The first `burst` calls go at once; the rate after them is what the bucket sustains.
    const sustained = (run.ok - burst) / run.seconds;
    console.info(
      `[figures] one client, R=${R}/s, ${WORKERS} workers, ${run.seconds.toFixed(2)} s: ${run.ok} × 200, ` +
        `${run.refused} × 429; sustained ${sustained.toFixed(1)}/s = ${percent(sustained, R)} of R`,
    );
    expect(run.refused).toBe(0);
    expect(limited.stats.refused).toBe(0);
    expect(sustained).toBeGreaterThanOrEqual(0.95 * R);
  });

  const styles: RateLimitHeaderStyle[] = ['ietf', 'ietf-draft-7', 'ietf-legacy', 'x-ratelimit', 'x-ratelimit-delta'];
  it(`keeps 429s under 1% against servers that only send quota headers (${styles.join(', ')})`, async () => {
    const runs = await Promise.all(
      styles.map(async (headers) => {
        const limited = rateLimited({ limit: R, windowMs: 1_000, headers });
        const server = await createTestServer({ 'GET /limited': limited });
        // No declared limit: only the server's headers guide the client.
        const fetch = createFetch({ use: [rateLimit()] });
        return { headers, ...(await drive(fetch, `${server.url}/limited`)) };
      }),
    );
    for (const run of runs) {
      console.info(
        `[figures] adaptive, ${run.headers} headers, R=${R} per 1 s window, ${WORKERS} workers, ` +
          `${run.seconds.toFixed(2)} s: ${run.total} requests, ${run.refused} × 429 = ${percent(run.refused, run.total)}; ` +
          `${run.ok} allowed over the ${run.windows} windows the run touched = ${(run.ok / run.windows).toFixed(1)} ` +
          `per window (${percent(run.ok / run.windows, R)} of R)`,
      );
    }
    for (const run of runs) expect(run.refused / run.total).toBeLessThan(0.01);
  });
});
