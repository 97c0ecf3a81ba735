import { maxValue, optional, pipe, strictObject, validateOptions } from './deps.ts';
import { count, nonNegative } from './plan.ts';
import { slidingWindow } from './sliding-window.ts';

/**
 * Options of {@link retryBudget}.
 * @example
 * const options: RetryBudgetOptions = { ratio: 0.2, minRetriesPerSecond: 1 };
 */
export interface RetryBudgetOptions {
  /**
   * Retries allowed per call, as a fraction of the calls in the window: under a total outage,
   * retries add at most this much load on top of the calls themselves.
   * @default 0.1
   */
  ratio?: number;
  /** Retries always allowed per second, so that a client with little traffic can still retry. @default 10 */
  minRetriesPerSecond?: number;
  /** How far back calls and retries count. @default 10_000 */
  windowMs?: number;
}

/**
 * A retry budget shared by every `retry()` it is given to: each call deposits `ratio` of a retry,
 * each retry withdraws one. Times are the caller's clock times (`context.clock.now()`). Make one
 * with {@link retryBudget}, or implement it (a budget shared through Redis, say).
 * @example
 * const budget: RetryBudget = retryBudget();
 * budget.available(Date.now()); // 100 with the defaults: the reserve of 10 per second over 10 s
 */
export interface RetryBudget {
  /** Records one call. */
  deposit(nowMs: number): void;
  /** Takes one retry; `false` when the budget has none left. */
  tryWithdraw(nowMs: number): boolean;
  /** How many retries the budget would allow now. */
  available(nowMs: number): number;
}

const RetryBudgetSchema = strictObject({
  ratio: optional(pipe(nonNegative, maxValue(1))),
  minRetriesPerSecond: optional(nonNegative),
  windowMs: optional(count(10)),
});

// The window slides in tenths, so that old calls and retries drop out as time moves on.
const SLOTS = 10;
// 0.1 × 10 calls is 1.0000000000000002 retries after float rounding: compare with a little slack.
const EPSILON = 1e-9;
const CALLS = 0;
const RETRIES = 1;

/**
 * A retry budget in the manner of Finagle's `RetryBudget` and gRPC's retry throttling: retries may
 * add at most `ratio` of the calls (plus `minRetriesPerSecond`) within `windowMs`, so that a client
 * cannot multiply the load on a service that is already down. Share one between the `retry()`
 * layers of a client.
 * @example
 * const budget = retryBudget({ ratio: 0.1 });
 * const fetch = createFetch({ use: [retry({ budget })] });
 */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const {
    ratio = 0.1,
    minRetriesPerSecond = 10,
    windowMs = 10_000,
  } = validateOptions(RetryBudgetSchema, options, 'retryBudget');
  const counts = slidingWindow(SLOTS, windowMs / SLOTS);
  const reserve = (minRetriesPerSecond * windowMs) / 1000;
  const available = (nowMs: number) =>
    Math.max(0, Math.floor(counts.total(nowMs, CALLS) * ratio + reserve + EPSILON - counts.total(nowMs, RETRIES)));
  return {
    deposit: (nowMs) => counts.add(nowMs, CALLS),
    tryWithdraw(nowMs) {
      if (available(nowMs) < 1) return false;
      counts.add(nowMs, RETRIES);
      return true;
    },
    available,
  };
}
