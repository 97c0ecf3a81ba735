/**
 * The source of time for every timing decision in ferrule: backoff delays, timeouts, token expiry,
 * rate-limit windows, cache freshness. Tests swap in {@link createFakeClock}.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const abortReason = (signal: AbortSignal): unknown => signal.reason;

/**
 * The real clock: `Date.now()` and `setTimeout`. The timer is always cleared when the signal aborts.
 * @example
 * await systemClock.sleep(100, controller.signal);
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A {@link Clock} whose time moves only when a test says so. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, waking every sleeper that falls due, in order of its due time. */
  advance(ms: number): Promise<void>;
  /** Moves time to the next sleeper's due time and wakes it; resolves `false` when nobody sleeps. */
  next(): Promise<boolean>;
  /** How many sleepers are waiting. */
  readonly pending: number;
}

interface Sleeper {
  dueMs: number;
  order: number;
  wake: () => void;
}

// Lets promise callbacks that a woken sleeper schedules run before time moves on.
const settle = async () => {
  for (let index = 0; index < 10; index++) await Promise.resolve();
};

/**
 * A fake clock for tests: `sleep` waits until `advance` moves time past its due time.
 * @example
 * const clock = createFakeClock(0);
 * const done = clock.sleep(100);
 * await clock.advance(99); // not yet
 * await clock.advance(1);  // done resolves
 */
export function createFakeClock(startMs = 0): FakeClock {
  let nowMs = startMs;
  let order = 0;
  const sleepers: Sleeper[] = [];
  const remove = (sleeper: Sleeper) => {
    const index = sleepers.indexOf(sleeper);
    if (index >= 0) sleepers.splice(index, 1);
  };
  const wakeDue = async () => {
    await settle();
    for (;;) {
      sleepers.sort((a, b) => a.dueMs - b.dueMs || a.order - b.order);
      const first = sleepers[0];
      if (!first || first.dueMs > nowMs) return;
      sleepers.shift();
      first.wake();
      await settle();
    }
  };
  return {
    now: () => nowMs,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        const onAbort = () => {
          remove(sleeper);
          reject(abortReason(signal as AbortSignal));
        };
        const sleeper: Sleeper = {
          dueMs: nowMs + Math.max(0, ms),
          order: order++,
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    async advance(ms) {
      const targetMs = nowMs + ms;
      await settle();
      for (;;) {
        sleepers.sort((a, b) => a.dueMs - b.dueMs || a.order - b.order);
        const first = sleepers[0];
        if (!first || first.dueMs > targetMs) break;
        nowMs = Math.max(nowMs, first.dueMs);
        await wakeDue();
      }
      nowMs = targetMs;
      await wakeDue();
    },
    async next() {
      await settle();
      sleepers.sort((a, b) => a.dueMs - b.dueMs || a.order - b.order);
      const first = sleepers[0];
      if (!first) return false;
      nowMs = Math.max(nowMs, first.dueMs);
      await wakeDue();
      return true;
    },
    get pending() {
      return sleepers.length;
    },
  };
}
