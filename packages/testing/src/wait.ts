import type { FakeClock } from '@ferrule/core';

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** Rejects after this much real time: a guard against a hang, never a timing assertion. @default 5_000 */
  maxRealMs?: number;
  /** What the rejection says. */
  message?: string;
}

/**
 * Resolves once `predicate` holds, polling in real time. For waiting on real I/O (a test server
 * received its second request) between steps of a fake clock.
 * @example
 * await waitUntil(() => server.requests.length === 2);
 */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  { maxRealMs = 5_000, message = 'waitUntil: condition still false' }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + maxRealMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${message} after ${maxRealMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Resolves once at least `count` callers sleep on the fake clock — the code under test is now
 * waiting on time, so the test can `advance` it and assert both sides of a boundary.
 * @example
 * await waitForSleepers(clock);
 * await clock.advance(199); // not yet
 * await clock.advance(1);   // now
 */
export function waitForSleepers(clock: FakeClock, count = 1, options: WaitOptions = {}): Promise<void> {
  return waitUntil(() => clock.pending >= count, {
    message: `waitForSleepers: fewer than ${count} sleeper(s) on the fake clock`,
    ...options,
  });
}
