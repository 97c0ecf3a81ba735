import type { Context, RateLimitPolicy, RateLimitStore } from '@ferrule/core';

/** A call waiting in a lane's queue for its permits. */
export interface Waiter {
  readonly cost: number;
  readonly priority: number;
  readonly enqueuedMs: number;
  readonly context: Context;
  readonly request: Request;
  /** The pump let it go, or it left (abort, timeout, an error). */
  done: boolean;
  resolve(): void;
  reject(error: unknown): void;
  /** Stops listening to the caller's signal. */
  forget(): void;
}

/** What the server's quota headers told us, and what this process spent of it since. */
export interface Quota {
  /** Permits this process may still send before the reset. */
  remaining: number;
  resetAtMs: number;
  limit: number | undefined;
  /** The lowest `remaining` the server reported in this window. */
  reported: number;
  /** The quota's window has passed: one call goes out to learn the new quota. */
  probing: boolean;
  /** A `paused` or `slowed` event was emitted for this quota already. */
  announced: 'paused' | 'slowed' | undefined;
}

/** The queue and the state of one key. */
export interface Lane {
  readonly key: string;
  /** The store key of each of the limiter's policies. */
  readonly storeKeys: readonly string[];
  /** Ordered by priority (highest first), then arrival. */
  readonly queue: Waiter[];
  /** Calls let through and not yet answered. */
  active: number;
  pumping: boolean;
  /** A server asked for a pause (`Retry-After`) until this time. */
  pausedUntilMs: number;
  /** Adaptive pacing: the next call may go at this time. */
  nextSlotMs: number;
  quota: Quota | undefined;
  /** Ends the pump's current wait early. */
  wake: (() => void) | undefined;
  /** The pump waits for a slot or for an answer rather than for time. */
  waitsForEvent: boolean;
}

/** The limits one set of requests shares: the default ones, or a route rule's. */
export interface Limiter {
  /** Store-kept policies, each with the suffix that names its counter under a key. */
  readonly policies: readonly { policy: RateLimitPolicy; suffix: string }[];
  readonly maxConcurrent: number;
  /** The most permits one call may take: the smallest capacity of its policies. */
  readonly maxCost: number;
  readonly lanes: Map<string, Lane>;
}

/** What every lane of one `rateLimit` shares. */
export interface Settings {
  store: RateLimitStore | undefined;
  readonly maxQueued: number;
  readonly maxWaitMs: number;
  /** Adaptive pacing starts when less than this share of the server's quota is left (0: never). */
  readonly slowBelow: number;
}

export const createLane = (key: string, storeKeys: readonly string[]): Lane => ({
  key,
  storeKeys,
  queue: [],
  active: 0,
  pumping: false,
  pausedUntilMs: 0,
  nextSlotMs: 0,
  quota: undefined,
  wake: undefined,
  waitsForEvent: false,
});

/** Puts a waiter behind every waiter of the same or a higher priority. */
export function insert(queue: Waiter[], waiter: Waiter): void {
  let index = queue.length;
  while (index > 0 && (queue[index - 1] as Waiter).priority < waiter.priority) index--;
  queue.splice(index, 0, waiter);
}

/** Takes a waiter out of the queue; wakes the pump when nobody is left, so its timer goes too. */
export function remove(lane: Lane, waiter: Waiter): void {
  waiter.done = true;
  waiter.forget();
  const index = lane.queue.indexOf(waiter);
  if (index >= 0) lane.queue.splice(index, 1);
  if (lane.queue.length === 0) lane.wake?.();
}

/**
 * Waits `delayMs` or until woken: by any event when `onEvent` (a slot freed, a probe answered), and
 * always when the queue empties. Clears its timer on every path.
 */
export function rest(lane: Lane, delayMs: number, context: Context, onEvent: boolean): Promise<void> {
  return new Promise((resolve) => {
    const controller = new AbortController();
    const done = () => {
      lane.wake = undefined;
      lane.waitsForEvent = false;
      controller.abort();
      resolve();
    };
    lane.wake = done;
    lane.waitsForEvent = onEvent;
    if (delayMs !== Infinity) context.clock.sleep(delayMs, controller.signal).then(done, () => {});
  });
}
