import type { Middleware } from '@ferrule/core';
import { BulkheadRejectedError, optional, strictObject, validateOptions } from './deps.ts';
import { count, nonNegative } from './plan.ts';

/**
 * Options of {@link bulkhead}.
 * @example
 * const options: BulkheadOptions = { maxConcurrent: 4, maxQueued: 20 };
 */
export interface BulkheadOptions {
  /** Calls that run at the same time. @default 10 */
  maxConcurrent?: number;
  /** Calls that wait for a free place; beyond, a call is rejected. @default 0 */
  maxQueued?: number;
}

const BulkheadSchema = strictObject({
  maxConcurrent: optional(count(1)),
  maxQueued: optional(nonNegative),
});

/**
 * Limits how many calls run at once: a call past `maxConcurrent` waits in a first-in-first-out
 * queue, and past `maxQueued` it fails at once with a {@link BulkheadRejectedError} without touching
 * the network. A place is held until the response headers arrive (or the call fails). A call that is
 * aborted while it waits leaves the queue at once. Emits `bulkhead` when it queues or rejects.
 *
 * Not cockatiel's `BulkheadPolicy`: that one keeps an aborted call in its queue, still holding a
 * place, until a running call ends.
 * @example
 * const fetch = createFetch({ use: [bulkhead({ maxConcurrent: 4, maxQueued: 20 })] });
 */
export function bulkhead(options: BulkheadOptions = {}): Middleware {
  const { maxConcurrent = 10, maxQueued = 0 } = validateOptions(BulkheadSchema, options, 'bulkhead');
  let active = 0;
  const queue: (() => void)[] = [];

  return async function bulkhead(request, context, next) {
    const { signal } = context;
    if (active < maxConcurrent) active++;
    else if (queue.length < maxQueued) {
      await new Promise<void>((resolve, reject) => {
        const start = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          queue.splice(queue.indexOf(start), 1);
          reject(signal.reason);
        };
        queue.push(start);
        context.emit({ type: 'bulkhead', action: 'queued', active, queued: queue.length });
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      context.emit({ type: 'bulkhead', action: 'rejected', active, queued: queue.length });
      throw new BulkheadRejectedError({ request });
    }
    try {
      return await next(request, context);
    } finally {
      // The place goes straight to the first waiter, so `active` stays the same.
      const first = queue.shift();
      if (first) first();
      else active--;
    }
  };
}
