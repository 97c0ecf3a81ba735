import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createFakeClock, createFetch } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { bulkhead } from './bulkhead.ts';
import { fallback } from './fallback.ts';
import { hedge } from './hedge.ts';
import { resilience } from './resilience.ts';

describe('an abort from the caller', () => {
  it('stops every layer at once: the running call, the queued one, every timer and the server requests', async () => {
    const server = await createTestServer({ 'GET /hang': { delayMs: 60_000 } });
    const clock = createFakeClock();
    let fellBack = false;
    const fetch = createFetch({
      use: [
        fallback(() => {
          fellBack = true;
          return new Response('stale');
        }),
        resilience({ timeout: { attemptMs: 10_000, totalMs: 30_000 }, retry: { maxAttempts: 5 } }),
        bulkhead({ maxConcurrent: 1, maxQueued: 1 }),
        hedge({ delayMs: 100 }),
      ],
      clock,
    });
    const controller = new AbortController();
    const running = fetch(`${server.url}/hang?n=1`, { signal: controller.signal });
    const queued = fetch(`${server.url}/hang?n=2`, { signal: controller.signal });
    await waitUntil(() => server.requests.length === 1);
    await clock.advance(100);
    await waitUntil(() => server.requests.length === 2);
    // Total timers of both calls and the running call's attempt timer: the queued call's attempt
    // clock has not started, as it never reached the network.
    expect(clock.pending).toBe(3);

    controller.abort(new Error('user left'));
    await expect(running).rejects.toThrow('user left');
    await expect(queued).rejects.toThrow('user left');
    expect(clock.pending).toBe(0);
    expect(fellBack).toBe(false);
    await waitUntil(() => server.requests.every((request) => request.aborted));
    expect(server.requests.map((request) => request.url)).toEqual(['/hang?n=1', '/hang?n=1']);
  });

  it('lets the process exit at once on the system clock, with no timer left', async () => {
    const server = await createTestServer({ 'GET /hang': { delayMs: 60_000 } });
    const fixture = fileURLToPath(new URL('../test/exit-fixture.ts', import.meta.url));
    // A guard against a hang, not a measurement: every timer in the fixture is 30 s or more.
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@ferrule/source', '--no-warnings', fixture, server.url],
        { timeout: 15_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(JSON.parse(output)).toEqual({ outcomes: ['Error: user left', 'Error: user left'], timers: [] });
  });
});
