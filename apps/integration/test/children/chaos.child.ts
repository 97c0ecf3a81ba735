// The chaos run's client: the full recommended stack under ky, making the seeded plan of calls against
// the chaos server, a thousand at a time, and measuring its heap after a full GC between the thousands.
// It closes what it opened and then simply ends: the parent checks that the process exits by itself.
import { bearer } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import { isFerruleError } from '@ferrule/core';
import { logging, metrics } from '@ferrule/observability';
import { tracing } from '@ferrule/observability/otel';
import { concurrency, rateLimit } from '@ferrule/rate-limit';
import { resilience, retryBudget } from '@ferrule/resilience';
import { createClient } from '@ferrule/transport';
import { undiciFetch } from '@ferrule/transport/undici';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { isHTTPError, isNetworkError } from 'ky';
import { type PlannedCall, planCalls } from '../support/chaos-plan.ts';
import { report, setting } from './protocol.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const target = setting('TARGET');
const seed = Number(setting('SEED'));
const calls = Number(setting('CALLS'));
const batch = Number(setting('BATCH'));
const workers = Number(setting('CONCURRENCY'));
const totalMs = Number(setting('TOTAL_MS'));

// Logs and spans are counted, not kept: what is measured is the stack, not a growing list of records.
const counts = { logLines: 0, spans: 0, events: 0 };
const countLine = () => {
  counts.logLines++;
};
const countingProcessor: SpanProcessor = {
  onStart: () => {},
  onEnd: (_span: ReadableSpan) => {
    counts.spans++;
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const stats = metrics({
  routes: [
    { match: 'GET /items/*', name: '/items/{id}' },
    { match: 'POST /orders', name: '/orders' },
  ],
});
const fetch = undiciFetch({ connections: 64 });
const api = createClient({
  baseUrl: target,
  observability: [
    logging({ logger: { info: countLine, warn: countLine, error: countLine } }),
    stats,
    tracing({ tracer: new BasicTracerProvider({ spanProcessors: [countingProcessor] }).getTracer('chaos') }),
  ],
  cache: cache(),
  resilience: resilience({
    idempotencyKey: true,
    // A total limit only. With an attempt limit as well, every retried call with a body stays in memory
    // for good (see the README: the attempt timeout's listener and undici's request finalizer hold each other).
    timeout: { totalMs },
    retry: { backoff: { initialDelayMs: 10 }, maxRetryAfterMs: 100, budget: retryBudget({ ratio: 0.5 }) },
    circuitBreaker: { breaker: { type: 'sampling', threshold: 0.8, durationMs: 1_000 }, halfOpenAfterMs: 100 },
  }),
  rateLimit: rateLimit({ policy: concurrency({ max: 64 }) }),
  auth: bearer(setting('TOKEN')),
  fetch,
  onEvent: () => {
    counts.events++;
  },
});

/** What the child prints last: the run's outcomes and measurements. */
export interface ChaosResult {
  type: 'result';
  /** Calls by outcome: `ok`, `status 503`, a ferrule error code, or a network error's system code. */
  outcomes: Record<string, number>;
  /** Calls that came to anything else (at most ten, described). */
  untyped: string[];
  slowestMs: number;
  runMs: number;
  /** The heap after a full GC, after each thousand calls. */
  heapAfterBatchMb: number[];
  counts: { logLines: number; spans: number; events: number };
  metrics: { calls: number; attempts: number; retries: number; successRate: number | null };
  /** `process.getActiveResourcesInfo()` once everything was closed. */
  resources: string[];
}

type Outcome =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'error'; code: string }
  | { kind: 'untyped'; text: string };

// One call of the plan, read to the end; what it came to.
async function run(planned: PlannedCall): Promise<Outcome> {
  const headers = { 'x-call': String(planned.call) };
  try {
    if (planned.method === 'GET') {
      const item = await api.get(`items/${planned.item}`, { headers }).json<{ id: number }>();
      return item.id === planned.item ? { kind: 'ok' } : { kind: 'untyped', text: `wrong item ${item.id}` };
    }
    const order = await api.post('orders', { headers, json: { ref: planned.ref } }).json<{ ref: string }>();
    return order.ref === planned.ref ? { kind: 'ok' } : { kind: 'untyped', text: `wrong order ${order.ref}` };
  } catch (error) {
    if (isHTTPError(error)) return { kind: 'status', status: error.response.status };
    if (isFerruleError(error)) return { kind: 'error', code: error.code };
    // A network failure the retries could not get past: ky's NetworkError around fetch's TypeError,
    // whose cause names the system's code.
    const code = (isNetworkError(error) ? (error.cause as { cause?: { code?: unknown } })?.cause : undefined)?.code;
    if (typeof code === 'string') return { kind: 'error', code };
    return { kind: 'untyped', text: `${(error as Error)?.name}: ${(error as Error)?.message}` };
  }
}

const plan = planCalls(seed, calls);
const outcomes: Record<string, number> = {};
const untyped: string[] = [];
let slowestMs = 0;
const heapAfterBatchMb: number[] = [];

async function measureHeap(): Promise<number> {
  for (let round = 0; round < 3; round++) {
    (gc as () => void)();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed / 1_048_576;
}

const startMs = performance.now();
for (let first = 0; first < plan.length; first += batch) {
  const queue = plan.slice(first, first + batch);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let planned = queue.shift(); planned; planned = queue.shift()) {
        const callStartMs = performance.now();
        const outcome = await run(planned);
        slowestMs = Math.max(slowestMs, performance.now() - callStartMs);
        const name =
          outcome.kind === 'ok'
            ? 'ok'
            : outcome.kind === 'status'
              ? `status ${outcome.status}`
              : outcome.kind === 'error'
                ? outcome.code
                : 'untyped';
        outcomes[name] = (outcomes[name] ?? 0) + 1;
        if (outcome.kind === 'untyped' && untyped.length < 10) untyped.push(outcome.text);
      }
    }),
  );
  heapAfterBatchMb.push(await measureHeap());
  report({ type: 'progress', done: first + batch });
}
const runMs = performance.now() - startMs;
await fetch.close();
await new Promise((resolve) => setImmediate(resolve));

const result: ChaosResult = {
  type: 'result',
  outcomes,
  untyped,
  slowestMs,
  runMs,
  heapAfterBatchMb,
  counts,
  metrics: (({ calls, attempts, retries, successRate }) => ({ calls, attempts, retries, successRate }))(
    stats.snapshot(),
  ),
  // What could still keep this process alive, besides its own stdio.
  resources: process.getActiveResourcesInfo(),
};
report(result);
