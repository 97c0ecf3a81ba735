import type { Middleware, Next } from '@ferrule/core';
import { type CircuitBreakerOptions, circuitBreaker } from './circuit-breaker.ts';
import { optional, strictObject, unknown, validateOptions } from './deps.ts';
import { type IdempotencyKeyOptions, idempotencyKey } from './idempotency-key.ts';
import { type RetryOptions, retry } from './retry.ts';
import { type TimeoutOptions, timeoutLayer } from './timeout.ts';

/**
 * Options of {@link resilience}: each concern's options, or `false` to leave it out.
 * @example
 * const options: ResilienceOptions = { timeout: { attemptMs: 5_000, totalMs: 30_000 }, circuitBreaker: false };
 */
export interface ResilienceOptions {
  /**
   * Timeouts: `totalMs` outermost (it covers every attempt, every wait and the body), `attemptMs`
   * innermost (each attempt until its headers). Per-call `timeout` options work even when a limit
   * is not configured here.
   * @default { attemptMs: 10_000 }
   */
  timeout?: TimeoutOptions | false;
  /** Retry options. @default {} (3 attempts, full jitter, Retry-After honoured) */
  retry?: RetryOptions | false;
  /** Circuit breaker options. @default {} (per origin, opens after 5 failures in a row) */
  circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Gives POST and PATCH calls an `Idempotency-Key`, which makes them retried. Only for servers that
   * honour the key: otherwise a retried POST may run twice.
   * @default false
   */
  idempotencyKey?: IdempotencyKeyOptions | boolean;
}

// Each concern's factory validates its own options; this names a concern that does not exist.
const concern = optional(unknown());
const ResilienceSchema = strictObject({
  timeout: concern,
  retry: concern,
  circuitBreaker: concern,
  idempotencyKey: concern,
});

/**
 * The resilience of a client in the recommended order, as one middleware: idempotency key (opt-in)
 * → total timeout → retry → circuit breaker → attempt timeout. Each attempt is timed on its own and
 * counted by the breaker; an open circuit is not retried; the total timeout bounds it all, the body included.
 * @example
 * const fetch = createFetch({
 *   use: [resilience({ timeout: { attemptMs: 5_000, totalMs: 30_000 }, retry: { maxAttempts: 4 } })],
 * });
 */
export function resilience(options: ResilienceOptions = {}): Middleware {
  validateOptions(ResilienceSchema, options, 'resilience');
  const {
    timeout: timeouts = { attemptMs: 10_000 },
    retry: retryOptions = {},
    circuitBreaker: breakerOptions = {},
    idempotencyKey: keyOptions = false,
  } = options;
  const layers: Middleware[] = [];
  if (keyOptions) layers.push(idempotencyKey(keyOptions === true ? {} : keyOptions));
  if (timeouts) layers.push(timeoutLayer(timeouts, true, false));
  if (retryOptions) layers.push(retry(retryOptions));
  if (breakerOptions) layers.push(circuitBreaker(breakerOptions));
  if (timeouts) layers.push(timeoutLayer(timeouts, false, true));
  return compose(layers);
}

/**
 * Runs `layers` as one middleware, outermost first. The chain for a given `next` is built once and
 * kept (a client's `next` is the same function on every call), so a call costs no closures.
 */
function compose(layers: readonly Middleware[]): Middleware {
  const chains = new WeakMap<Next, Next>();
  return function resilience(request, context, next) {
    let chain = chains.get(next);
    if (!chain) {
      chain = layers.reduceRight<Next>((inner, layer) => (request, context) => layer(request, context, inner), next);
      chains.set(next, chain);
    }
    return chain(request, context);
  };
}
