import type { Middleware } from '@ferrule/core';
import { bodyLimit, clientOrder, type Slots } from '@ferrule/transport';

/**
 * The middlewares of the given slots in the recommended order (observability → cache → resilience →
 * rate-limit → auth), with `bodyLimit` innermost — the chain `createClient` builds, for `createFetch`
 * and the third-party clients that take a fetch.
 * @example
 * const fetch = createFetch({ use: recommendedChain({ cache: cache(), auth: apiKey({ value: key }) }) });
 */
export function recommendedChain(slots: Slots, maxBodyBytes?: number): Middleware[] {
  const chain = clientOrder.flatMap((slot) => {
    const given = slots[slot];
    return given === undefined ? [] : Array.isArray(given) ? [...given] : [given as Middleware];
  });
  chain.push(bodyLimit(maxBodyBytes === undefined ? {} : { maxBytes: maxBodyBytes }));
  return chain;
}
