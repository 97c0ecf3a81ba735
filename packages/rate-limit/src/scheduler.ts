import { type Context, RateLimitedError, type RateLimitStore, type RateLimitTake } from '@ferrule/core';
import { quotaDelay, spend } from './adaptive.ts';
import { createLane, insert, type Lane, type Limiter, remove, rest, type Settings, type Waiter } from './lane.ts';
import { type SyncRateLimitStore, TAKE_NOW } from './memory-store.ts';

// Idle lanes are kept for reuse up to this many keys; beyond it they go as soon as they are idle.
const IDLE_LANES = 256;

export function laneFor(limiter: Limiter, key: string): Lane {
  let lane = limiter.lanes.get(key);
  if (!lane) {
    lane = createLane(
      key,
      limiter.policies.map(({ suffix }) => key + suffix),
    );
    limiter.lanes.set(key, lane);
  }
  return lane;
}

/** What needs no store: 0 when the call may go (its slot taken), otherwise how long to wait. */
function gate(limiter: Limiter, lane: Lane, cost: number, nowMs: number): number {
  if (lane.pausedUntilMs > nowMs) return lane.pausedUntilMs - nowMs;
  const delayMs = quotaDelay(lane, cost, nowMs);
  if (delayMs > 0) return delayMs;
  if (lane.active >= limiter.maxConcurrent) return Infinity;
  lane.active++;
  return 0;
}

// A refused take: the slot goes back, and the wait is at least a millisecond.
function refuse(lane: Lane, take: RateLimitTake): number {
  free(lane);
  return Math.max(1, take.waitMs);
}

/**
 * Takes the permits of every store policy, from policy `from` on, for a call that holds a slot: 0, or
 * how long to wait. Synchronous with a store that answers at once (the memory store's `TAKE_NOW`).
 */
function takeAll(
  limiter: Limiter,
  settings: Settings,
  lane: Lane,
  cost: number,
  context: Context,
  from = 0,
): number | Promise<number> {
  // Only called when store policies exist, and those always come with a store.
  const store = settings.store as RateLimitStore;
  const takeNow = (store as Partial<SyncRateLimitStore>)[TAKE_NOW];
  for (let index = from; index < limiter.policies.length; index++) {
    const { policy } = limiter.policies[index] as Limiter['policies'][number];
    const key = lane.storeKeys[index] as string;
    let take: RateLimitTake | Promise<RateLimitTake>;
    try {
      take = takeNow ? takeNow(key, policy, cost) : store.take(key, policy, cost, context.emit);
    } catch (error) {
      free(lane);
      throw error;
    }
    // A permit taken under an earlier policy is spent: the limit is never exceeded, at worst underused.
    if (!('granted' in take)) {
      return Promise.resolve(take).then(
        (taken) => (taken.granted ? takeAll(limiter, settings, lane, cost, context, index + 1) : refuse(lane, taken)),
        (error: unknown) => {
          free(lane);
          throw error;
        },
      );
    }
    if (!take.granted) return refuse(lane, take);
  }
  spend(lane, cost, context, settings.slowBelow);
  return 0;
}

/**
 * Tries to let a call through now: 0 when it may go (its slot and permits are taken), otherwise how
 * long to wait (`Infinity`: until a slot frees or a probe answers). Synchronous when no store is
 * asked, or the store answers at once.
 */
function admit(limiter: Limiter, settings: Settings, lane: Lane, cost: number, context: Context) {
  const delayMs = gate(limiter, lane, cost, context.clock.now());
  if (delayMs > 0) return delayMs;
  if (limiter.policies.length > 0) return takeAll(limiter, settings, lane, cost, context);
  spend(lane, cost, context, settings.slowBelow);
  return 0;
}

function reject(lane: Lane, waiter: Waiter, reason: string, retryAfterMs?: number) {
  remove(lane, waiter);
  waiter.context.emit({
    type: 'ratelimit',
    action: 'rejected',
    key: lane.key,
    reason,
    ...(retryAfterMs !== undefined && { waitMs: retryAfterMs }),
  });
  waiter.reject(new RateLimitedError(reason, retryAfterMs, { request: waiter.request }));
}

/**
 * Rejects every waiter that would wait longer than `maxWaitMs`: with `delayMs` still to wait before
 * anyone goes, or (`Infinity`: the wait is unknown) once its time is up.
 */
function expire(lane: Lane, settings: Settings, nowMs: number, delayMs: number) {
  if (settings.maxWaitMs === Infinity) return;
  const known = delayMs !== Infinity;
  for (const waiter of [...lane.queue]) {
    const deadlineMs = waiter.enqueuedMs + settings.maxWaitMs;
    if (known ? deadlineMs < nowMs + delayMs : deadlineMs <= nowMs) {
      reject(lane, waiter, 'max-wait', known ? Math.ceil(delayMs) : undefined);
    }
  }
}

const earliestDeadline = (lane: Lane, settings: Settings) =>
  lane.queue.reduce((earliest, waiter) => Math.min(earliest, waiter.enqueuedMs + settings.maxWaitMs), Infinity);

/** Lets the queue's head go whenever its permits are there; one pump per lane keeps the order. */
async function pump(limiter: Limiter, settings: Settings, lane: Lane, firstDelayMs: number) {
  lane.pumping = true;
  let delayMs = firstDelayMs;
  try {
    for (let head = lane.queue[0]; head; head = lane.queue[0]) {
      const { clock } = head.context;
      if (delayMs > 0) {
        const nowMs = clock.now();
        expire(lane, settings, nowMs, delayMs);
        if (lane.queue.length === 0) return;
        await rest(
          lane,
          Math.min(delayMs, earliestDeadline(lane, settings) - nowMs),
          head.context,
          delayMs === Infinity,
        );
        delayMs = 0;
        continue;
      }
      try {
        delayMs = await admit(limiter, settings, lane, head.cost, head.context);
      } catch (error) {
        remove(lane, head);
        head.reject(error);
        continue;
      }
      if (delayMs > 0) continue;
      if (head.done)
        free(lane); // it left while the store answered: the permit is spent, the slot is not
      else {
        remove(lane, head);
        head.context.emit({
          type: 'ratelimit',
          action: 'waited',
          key: lane.key,
          waitMs: clock.now() - head.enqueuedMs,
        });
        head.resolve();
      }
    }
  } finally {
    lane.pumping = false;
  }
}

/** Options of one call's {@link acquire}. */
export interface Ask {
  cost: number;
  priority: number;
}

/**
 * Lets the call go: `undefined` at once when its lane is idle and its permits are there (no promise
 * on the hot path), otherwise a promise that resolves when it leaves the lane's queue, in order of
 * priority and arrival.
 */
export function acquire(
  limiter: Limiter,
  settings: Settings,
  lane: Lane,
  ask: Ask,
  request: Request,
  context: Context,
): Promise<void> | undefined {
  if (lane.queue.length > 0 || lane.pumping) return enqueue(limiter, settings, lane, ask, request, context, 0);
  const admitted = admit(limiter, settings, lane, ask.cost, context);
  if (admitted === 0) return undefined;
  if (typeof admitted === 'number') return enqueue(limiter, settings, lane, ask, request, context, admitted);
  return admitted.then((delayMs) =>
    delayMs === 0 ? undefined : enqueue(limiter, settings, lane, ask, request, context, delayMs),
  );
}

function enqueue(
  limiter: Limiter,
  settings: Settings,
  lane: Lane,
  { cost, priority }: Ask,
  request: Request,
  context: Context,
  delayMs: number,
): Promise<void> {
  const { signal, clock } = context;
  if (signal.aborted) return Promise.reject(signal.reason);
  const { promise, resolve, reject: fail } = Promise.withResolvers<void>();
  const onAbort = () => {
    if (waiter.done) return;
    remove(lane, waiter);
    fail(signal.reason);
  };
  const waiter: Waiter = {
    cost,
    priority,
    enqueuedMs: clock.now(),
    context,
    request,
    done: false,
    resolve,
    reject: fail,
    forget: () => signal.removeEventListener('abort', onAbort),
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (lane.queue.length >= settings.maxQueued) reject(lane, waiter, 'queue-full');
  else if (delayMs > settings.maxWaitMs && delayMs !== Infinity) reject(lane, waiter, 'max-wait', Math.ceil(delayMs));
  else {
    insert(lane.queue, waiter);
    if (!lane.pumping) {
      pump(limiter, settings, lane, delayMs).catch((error: unknown) => {
        for (const stuck of [...lane.queue]) {
          remove(lane, stuck);
          stuck.reject(error);
        }
      });
    }
  }
  return promise;
}

/** Gives back a slot that was reserved; wakes a pump that waits for one. */
function free(lane: Lane): void {
  lane.active--;
  if (lane.waitsForEvent) lane.wake?.();
}

/** Gives a finished call's slot back; forgets an idle lane when there are many. */
export function release(limiter: Limiter, lane: Lane, context: Context): void {
  const quota = lane.quota;
  // A probe came back without quota headers: the lane no longer knows a quota.
  if (quota?.probing && quota.remaining <= 0 && lane.active === 1) lane.quota = undefined;
  free(lane);
  if (limiter.lanes.size <= IDLE_LANES || lane.active > 0 || lane.queue.length > 0 || lane.pumping) return;
  const nowMs = context.clock.now();
  if (lane.pausedUntilMs <= nowMs && (lane.quota === undefined || lane.quota.resetAtMs <= nowMs)) {
    limiter.lanes.delete(lane.key);
  }
}
