import type { Clock } from '@ferrule/core';
import { ConsecutiveBreaker, gtValue, literal, number, optional, pipe, strictObject, variant } from './deps.ts';
import { count, ratio } from './plan.ts';
import { slidingWindow } from './sliding-window.ts';

/**
 * What decides when a closed circuit opens: the shape of cockatiel's `IBreaker` as a closed circuit
 * uses it (a half-open circuit decides on its probe alone, and closes with a fresh breaker).
 */
export interface Breaker {
  success(): void;
  /** Records a failure; `true` when the circuit should open. */
  failure(): boolean;
}

/**
 * When a circuit opens (option `breaker` of `circuitBreaker()`):
 * - `consecutive`: after `threshold` failures in a row (default 5);
 * - `sampling`: when more than `threshold` (default 0.5) of the calls within the last `durationMs`
 *   (default 30_000) failed, once at least `minimumRps` calls per second (default: enough for 5 failures
 *   per second at the threshold) came in.
 * @example
 * const breaker: BreakerOptions = { type: 'sampling', threshold: 0.2, durationMs: 60_000, minimumRps: 2 };
 */
export type BreakerOptions =
  | { type: 'consecutive'; threshold?: number }
  | { type: 'sampling'; threshold?: number; durationMs?: number; minimumRps?: number };

export const BreakerSchema = variant('type', [
  strictObject({ type: literal('consecutive'), threshold: optional(count(1)) }),
  strictObject({
    type: literal('sampling'),
    threshold: optional(ratio),
    durationMs: optional(count(100)),
    minimumRps: optional(pipe(number(), gtValue(0))),
  }),
]);

const SUCCESSES = 0;
const FAILURES = 1;

/**
 * cockatiel's `SamplingBreaker` on the context's clock: cockatiel's reads `Date.now()`, which a
 * test cannot move. Same rule, but every slot that fell out of the window is emptied, however long
 * the pause was.
 */
function samplingBreaker(
  { threshold = 0.5, durationMs = 30_000, minimumRps }: Extract<BreakerOptions, { type: 'sampling' }>,
  clock: Clock,
): Breaker {
  // At least 5 slots, at most one second each (as cockatiel).
  const slots = Math.max(5, Math.ceil(durationMs / 1000));
  const calls = slidingWindow(slots, durationMs / slots);
  const minimumCalls = ((minimumRps ?? 5 / threshold) * durationMs) / 1000;
  return {
    success: () => calls.add(clock.now(), SUCCESSES),
    failure() {
      const nowMs = clock.now();
      calls.add(nowMs, FAILURES);
      const failures = calls.total(nowMs, FAILURES);
      const total = failures + calls.total(nowMs, SUCCESSES);
      return total >= minimumCalls && failures > threshold * total;
    },
  };
}

/** A fresh breaker of the configured type; each circuit of the registry has its own. */
export function createBreaker(options: BreakerOptions, clock: Clock): Breaker {
  return options.type === 'sampling' ? samplingBreaker(options, clock) : new ConsecutiveBreaker(options.threshold ?? 5);
}
