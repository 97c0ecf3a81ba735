import { createFakeClock, createFetch } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { recordEvents, recordingFetch } from '../test/helpers.ts';
import { retry } from './retry.ts';
import { type RetryBudget, retryBudget } from './retry-budget.ts';

describe('retryBudget', () => {
  it('bounds the extra load of retries to 10% under a total outage', async () => {
    const server = await createTestServer({ 'GET /down': { status: 503 } });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const budget = retryBudget({ ratio: 0.1, minRetriesPerSecond: 0 });
    const fetch = createFetch({
      use: [retry({ budget, maxAttempts: 3, backoff: { initialDelayMs: 0 } })],
      clock,
      onEvent: recorded.onEvent,
    });
    for (let call = 0; call < 100; call++) expect((await fetch(`${server.url}/down`)).status).toBe(503);
    expect(server.requests).toHaveLength(110);
    expect(recorded.of('retry')).toHaveLength(10);
    // 90 calls are refused their first retry, the 10 that got one are refused a second.
    expect(recorded.of('retry-budget')).toHaveLength(100);
    expect(recorded.of('retry-budget')[0]).toEqual({ reason: 'status' });
  });

  it('retries every failure when the budget is turned off', async () => {
    const server = await createTestServer({ 'GET /down': { status: 503 } });
    const fetch = createFetch({
      use: [retry({ budget: false, backoff: { initialDelayMs: 0 } })],
      clock: createFakeClock(),
    });
    for (let call = 0; call < 10; call++) await fetch(`${server.url}/down`);
    expect(server.requests).toHaveLength(30);
  });

  it('is used as it is given, even as a class instance', async () => {
    class NoRetries implements RetryBudget {
      readonly #taken: number[] = [];
      deposit() {}
      tryWithdraw(nowMs: number) {
        this.#taken.push(nowMs);
        return false;
      }
      available() {
        return 0;
      }
      get taken() {
        return this.#taken.length;
      }
    }
    const budget = new NoRetries();
    const { fetch: next, seen } = recordingFetch(() => new Response(null, { status: 503 }));
    const fetch = createFetch({ use: [retry({ budget, backoff: { initialDelayMs: 0 } })], fetch: next });
    await fetch('https://api.test/a');
    expect(seen).toHaveLength(1);
    expect(budget.taken).toBe(1);
  });

  it('is shared by the retry layers it is given to', () => {
    const budget = retryBudget({ ratio: 0.5, minRetriesPerSecond: 0 });
    budget.deposit(0);
    budget.deposit(0);
    expect(budget.tryWithdraw(0)).toBe(true);
    expect(budget.tryWithdraw(0)).toBe(false);
  });

  it('always allows minRetriesPerSecond, and forgets calls and retries once windowMs has passed', () => {
    const budget = retryBudget({ ratio: 0.1, minRetriesPerSecond: 1, windowMs: 2_000 });
    expect(budget.available(0)).toBe(2);
    expect(budget.tryWithdraw(0)).toBe(true);
    expect(budget.tryWithdraw(300)).toBe(true);
    expect(budget.tryWithdraw(400)).toBe(false);
    // Slots of 200 ms: the first retry leaves the window at 2 000 ms, the second at 2 200 ms.
    expect(budget.available(1_999)).toBe(0);
    expect(budget.available(2_000)).toBe(1);
    expect(budget.available(2_199)).toBe(1);
    expect(budget.available(2_200)).toBe(2);
    for (let call = 0; call < 30; call++) budget.deposit(2_200);
    expect(budget.available(2_200)).toBe(5);
    expect(budget.available(1_000_000)).toBe(2);
  });

  it('rejects wrong options with a ConfigError naming the option', () => {
    for (const [options, option] of [
      [{ ratio: 1.5 }, 'retryBudget.ratio'],
      [{ ratio: -0.1 }, 'retryBudget.ratio'],
      [{ minRetriesPerSecond: -1 }, 'retryBudget.minRetriesPerSecond'],
      [{ windowMs: 0 }, 'retryBudget.windowMs'],
      [{ percent: 10 }, 'retryBudget.percent'],
    ] as const) {
      expect(() => retryBudget(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
    }
  });
});
