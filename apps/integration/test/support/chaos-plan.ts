// The plan of a chaos run, fixed by its seed: which calls it makes and which fault meets each attempt.
import { draw, seededRandom } from './seeded-random.ts';

/** What the chaos server does with one attempt. */
export type Fault = 'ok' | '5xx' | 'reset' | 'stall' | '429';

/** The shares of faults per attempt: 20% 5xx, 5% resets, 5% stalled bodies; 429s come in bursts. */
export const FAULT_SHARES = { '5xx': 0.2, reset: 0.05, stall: 0.05 } as const;

/** Calls `n` with `n % 1000` in [BURST_START, BURST_END) meet a 429 on their first attempt: a burst. */
export const BURST_START = 400;
export const BURST_END = 450;

/** How long a 429 asks the client to wait (`retry-after-ms`). */
export const RETRY_AFTER_MS = 30;

/** Number of distinct items GET calls ask for. */
export const ITEMS = 200;

/**
 * The fault for one attempt of one call: a function of the seed, the call and the attempt only, so the
 * same run meets the same faults whatever order its calls arrive in.
 * @example
 * faultFor(7, 1234, 1); // always the same
 */
export function faultFor(seed: number, call: number, attempt: number): Fault {
  const inBurst = call % 1000 >= BURST_START && call % 1000 < BURST_END;
  if (attempt === 1 && inBurst) return '429';
  const roll = draw(seed, call, attempt);
  if (roll < FAULT_SHARES['5xx']) return '5xx';
  if (roll < FAULT_SHARES['5xx'] + FAULT_SHARES.reset) return 'reset';
  if (roll < FAULT_SHARES['5xx'] + FAULT_SHARES.reset + FAULT_SHARES.stall) return 'stall';
  return 'ok';
}

/** One call of the run: a GET of an item or a POST of an order, fixed by the seed. */
export type PlannedCall = { call: number; method: 'GET'; item: number } | { call: number; method: 'POST'; ref: string };

/**
 * The calls of a run, fixed by the seed: 30% POSTs.
 * @example
 * const calls = planCalls(7, 10_000);
 */
export function planCalls(seed: number, count: number): PlannedCall[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, call) =>
    random() < 0.3
      ? { call, method: 'POST' as const, ref: `order-${seed}-${call}` }
      : { call, method: 'GET' as const, item: Math.floor(random() * ITEMS) },
  );
}
