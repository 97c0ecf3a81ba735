// Run by abort.test.ts in a child process on the system clock: a call through every layer with long
// timers is aborted by the caller; the process must then have no timer left and exit by itself.
import { createFetch } from '@ferrule/core';
import { bulkhead, fallback, hedge, resilience } from '../src/index.ts';

const url = process.argv[2] as string;
const fetch = createFetch({
  use: [
    fallback(() => new Response('stale')),
    resilience({
      timeout: { attemptMs: 60_000, totalMs: 120_000 },
      retry: { backoff: { initialDelayMs: 60_000 }, maxAttempts: 5 },
      idempotencyKey: true,
    }),
    bulkhead({ maxConcurrent: 1, maxQueued: 5 }),
    hedge({ delayMs: 30_000 }),
  ],
});
const controller = new AbortController();
const calls = [
  fetch(`${url}/hang?n=1`, { signal: controller.signal }),
  fetch(`${url}/hang?n=2`, { signal: controller.signal }),
];
await new Promise((resolve) => setTimeout(resolve, 200));
controller.abort(new Error('user left'));
const outcomes = await Promise.allSettled(calls);
const timers = process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout');
console.log(
  JSON.stringify({
    outcomes: outcomes.map((outcome) => outcome.status === 'rejected' && String(outcome.reason)),
    timers,
  }),
);
