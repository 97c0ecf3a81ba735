import { describe, expect, it, onTestFinished } from 'vitest';
import type { ChaosResult } from './children/chaos.child.ts';
import { startChaosApi } from './support/chaos-api.ts';
import { FAULT_SHARES, type Fault, faultFor, planCalls } from './support/chaos-plan.ts';
import { startChild } from './support/child-process.ts';

// A bounded chaos run: 10,000 seeded GET/POST calls through the full stack under ky, in a child process
// (so its heap and its handles are its own), against a server that deals 5xx, resets, stalled bodies and
// 429 bursts. Replay a run with CHAOS_SEED=<seed>.
const SEED = Number(process.env.CHAOS_SEED ?? 20_251_121);
const CALLS = 10_000;
const BATCH = 1_000;
const TOTAL_MS = 400;
// A call may end this much after its total timeout: the event loop of a loaded machine runs the
// timeout's callback late. A call that hung would take far longer.
const SCHEDULING_SLACK_MS = 250;
const TOKEN = 'chaos-token-f00d';

// Outcomes a call may come to: an answer, the final status of a call the retries gave up on (ky's
// HTTPError), a ferrule error by code, or the system code of a network failure retries could not get past.
const TYPED =
  /^(ok|status (429|5\d\d)|TIMEOUT|CIRCUIT_OPEN|RATE_LIMITED|BULKHEAD_REJECTED|ECONNRESET|UND_ERR_SOCKET|ECONNREFUSED)$/;

describe('chaos', () => {
  it('fixes the plan and the faults by the seed, in the shares asked for', () => {
    expect(planCalls(SEED, 500)).toEqual(planCalls(SEED, 500));
    expect(planCalls(SEED + 1, 500)).not.toEqual(planCalls(SEED, 500));
    const dealt: Record<Fault, number> = { ok: 0, '5xx': 0, reset: 0, stall: 0, '429': 0 };
    // Second attempts: never in a 429 burst, so the shares show as they are.
    for (let call = 0; call < 100_000; call++) dealt[faultFor(SEED, call, 2)]++;
    expect(Math.abs(dealt['5xx'] / 100_000 - FAULT_SHARES['5xx'])).toBeLessThan(0.005);
    expect(Math.abs(dealt.reset / 100_000 - FAULT_SHARES.reset)).toBeLessThan(0.005);
    expect(Math.abs(dealt.stall / 100_000 - FAULT_SHARES.stall)).toBeLessThan(0.005);
    expect(faultFor(SEED, 1_420, 1)).toBe('429');
    expect(faultFor(SEED, 1_420, 2)).toBe(faultFor(SEED, 1_420, 2));
  });

  it(`runs ${CALLS} calls: each succeeds or fails typed within its total timeout, no POST applied twice, flat heap, and the process exits by itself`, async () => {
    const chaos = await startChaosApi({ seed: SEED, token: TOKEN });
    const child = startChild('chaos', {
      nodeFlags: ['--expose-gc'],
      env: {
        TARGET: chaos.server.url,
        SEED: String(SEED),
        CALLS: String(CALLS),
        BATCH: String(BATCH),
        CONCURRENCY: '48',
        TOTAL_MS: String(TOTAL_MS),
        TOKEN,
      },
    });
    onTestFinished(() => child.kill());

    let result: ChaosResult | undefined;
    let requests = 0;
    while (!result) {
      const message = await child.next<{ type: 'progress' } | ChaosResult>();
      requests += chaos.server.requests.length;
      // The server keeps what a test needs, not every request of the run.
      chaos.server.reset();
      if (message.type === 'result') result = message;
    }
    const resultAtMs = performance.now();
    const exit = await child.exited;

    const heap = result.heapAfterBatchMb;
    const dealt = [...chaos.faults.values()].flat();
    const share = (fault: Fault) => dealt.filter((each) => each === fault).length / dealt.length;
    console.info(
      `[figures] chaos seed ${SEED}: ${CALLS} calls, ${requests} requests in ${(result.runMs / 1000).toFixed(1)} s; ` +
        `faults dealt: ${(100 * share('5xx')).toFixed(1)}% 5xx, ${(100 * share('reset')).toFixed(1)}% resets, ` +
        `${(100 * share('stall')).toFixed(1)}% stalls, ${(100 * share('429')).toFixed(1)}% 429; outcomes ${JSON.stringify(result.outcomes)}; ` +
        `slowest call ${result.slowestMs.toFixed(0)} ms (total timeout ${TOTAL_MS} ms); ${chaos.replayed.count} POSTs answered ` +
        `from the stored result; heap after GC per thousand (MB): ${heap.map((mb) => mb.toFixed(2)).join(', ')}; ` +
        `exited ${(exit.atMs - resultAtMs).toFixed(0)} ms after its last line; ${JSON.stringify(result.counts)}`,
    );

    // Every call came to a typed end, within its total timeout.
    expect(result.untyped).toEqual([]);
    expect(Object.keys(result.outcomes).filter((outcome) => !TYPED.test(outcome))).toEqual([]);
    expect(Object.values(result.outcomes).reduce((sum, count) => sum + count, 0)).toBe(CALLS);
    expect(result.outcomes.ok).toBeGreaterThan(0.8 * CALLS);
    expect(result.slowestMs).toBeLessThan(TOTAL_MS + SCHEDULING_SLACK_MS);
    expect(result.metrics.calls).toBe(CALLS);
    // The faults were dealt: the run met each kind.
    expect(share('5xx')).toBeGreaterThan(0.15);
    expect(share('reset')).toBeGreaterThan(0.03);
    expect(share('stall')).toBeGreaterThan(0.03);
    expect(share('429')).toBeGreaterThan(0.02);

    // No order applied twice; every attempt of an order carried the one key of its call.
    const applied = [...chaos.appliedByRef.values()];
    expect(applied.length).toBeGreaterThan(0.2 * CALLS);
    expect(applied.filter((count) => count > 1)).toEqual([]);
    expect([...chaos.keysByRef.values()].filter((keys) => keys.size > 1)).toEqual([]);
    expect(chaos.replayed.count).toBeGreaterThan(0);
    expect(chaos.refused.count).toBe(0);

    // Memory: the heap after a full GC is the same after the last thousand calls as after the first.
    expect((heap.at(-1) as number) - (heap[0] as number)).toBeLessThan(2);

    // Nothing left open: no timer, no socket; the process ended by itself, at once.
    expect(result.resources.filter((resource) => resource !== 'PipeWrap' && resource !== 'TTYWrap')).toEqual([]);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.atMs - resultAtMs).toBeLessThan(1_000);
  }, 120_000);
});
