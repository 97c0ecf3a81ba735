import type { FakeClock, Middleware } from '@ferrule/core';
import { waitUntil } from '@ferrule/testing/vitest';

/** Tells when a call is held by the rate limiter on a fake clock. */
export interface LimiterProbe {
  /** Put it in the rate-limit slot, before `rateLimit()`: it counts the calls that reach the limiter. */
  readonly middleware: Middleware;
  /** Resolves once the `count`-th call has reached the limiter and the limiter sleeps on the clock for it. */
  held(count: number): Promise<void>;
}

/**
 * A probe for the moment a call waits in the rate limiter. Counting the fake clock's sleepers alone
 * would depend on how many timers the other layers keep; the probe notes how many there were when the
 * call reached the limiter, so the one more is the limiter's own.
 * @example
 * const probe = limiterProbe(clock);
 * createFetch({ use: [probe.middleware, rateLimit()], clock });
 * await probe.held(3);
 */
export function limiterProbe(clock: FakeClock): LimiterProbe {
  const pendingAtArrival: number[] = [];
  return {
    middleware: async function limiterProbe(request, context, next) {
      pendingAtArrival.push(clock.pending);
      return next(request, context);
    },
    held: (count) =>
      waitUntil(() => pendingAtArrival.length >= count && clock.pending > (pendingAtArrival[count - 1] as number), {
        message: `call ${count} was never held by the rate limiter`,
      }),
  };
}
