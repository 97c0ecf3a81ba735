// The ferrule stacks the benchmark measures: every concern in the recommended order, configured as a
// production client would be, with nothing that short-circuits the work (the cache misses, the limit
// never binds, logs are built and handed to a logger that drops them).
import { apiKey } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import type { Middleware } from '@ferrule/core';
import { logging, metrics } from '@ferrule/observability';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';

const dropLogs = { info() {}, debug() {}, warn() {}, error() {} };

/** The concerns of a full client, by slot, as fresh instances. */
export function fullStackSlots() {
  return {
    observability: [logging({ logger: dropLogs }), metrics()],
    cache: cache(),
    resilience: resilience(),
    rateLimit: rateLimit({ policy: tokenBucket({ ratePerSecond: 1_000_000, burst: 1_000_000 }) }),
    auth: apiKey({ header: 'x-api-key', value: 'bench-key-not-a-secret' }),
  };
}

/** The same concerns as one `use` list, outermost first. */
export function fullStack(): Middleware[] {
  const slots = fullStackSlots();
  return [...slots.observability, slots.cache, slots.resilience, slots.rateLimit, slots.auth];
}
