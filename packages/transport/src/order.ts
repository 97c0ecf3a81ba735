import { ConfigError, type Middleware } from '@ferrule/core';

/** A concern's place in a client, named after the package that fills it. */
export type Slot = 'observability' | 'cache' | 'resilience' | 'rateLimit' | 'auth';

/**
 * The recommended order of a client, outermost first (ARCHITECTURE.md, "Order of a client"):
 * observability sees the whole call and its outcome; a cache hit costs no retry, token or signature;
 * resilience retries around rate limiting and auth, so every attempt takes a token and is signed afresh.
 * @example
 * clientOrder; // ['observability', 'cache', 'resilience', 'rateLimit', 'auth']
 */
export const clientOrder: readonly Slot[] = ['observability', 'cache', 'resilience', 'rateLimit', 'auth'];

/**
 * The middlewares of each slot: one, or several in their own order.
 * @example
 * const slots: Slots = { observability: [logging(), metrics()], auth: bearer({ token }) };
 */
export type Slots = { [slot in Slot]?: Middleware | readonly Middleware[] };

const list = (value: Middleware | readonly Middleware[] | undefined): readonly Middleware[] =>
  value === undefined ? [] : typeof value === 'function' ? [value] : value;

/**
 * The chain of a client, outermost first. Without `use`, the slots given, in {@link clientOrder}.
 * With `use`, exactly `use`, where a slot's name stands for that slot's middlewares: every slot given
 * must be placed once, and every name placed must be given, so nothing is silently dropped or doubled.
 */
export function assemble(slots: Slots, use?: readonly (Middleware | Slot)[]): Middleware[] {
  if (use === undefined) return clientOrder.flatMap((slot) => list(slots[slot]));
  const placed = new Set<Slot>();
  const chain = use.flatMap((entry, index) => {
    if (typeof entry === 'function') return [entry];
    if (placed.has(entry)) throw new ConfigError(`createClient.use.${index}`, `'${entry}' only once`);
    if (slots[entry] === undefined) {
      throw new ConfigError(`createClient.${entry}`, 'a middleware, as `use` places this slot');
    }
    placed.add(entry);
    return list(slots[entry]);
  });
  const unplaced = clientOrder.find((slot) => slots[slot] !== undefined && !placed.has(slot));
  if (unplaced) {
    throw new ConfigError(
      'createClient.use',
      `'${unplaced}' in it, to place the \`${unplaced}\` slot (or no \`use\`, for the recommended order)`,
    );
  }
  return chain;
}
