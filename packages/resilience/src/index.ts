export type { BreakerOptions } from './breakers.ts';
export { type BulkheadOptions, bulkhead } from './bulkhead.ts';
export { type CircuitBreakerOptions, type CircuitSnapshot, circuitBreaker } from './circuit-breaker.ts';
export { type FallbackOptions, type FallbackState, fallback } from './fallback.ts';
export { type HedgeCallOptions, type HedgeOptions, hedge } from './hedge.ts';
export { type IdempotencyKeyOptions, idempotencyKey } from './idempotency-key.ts';
export type { Outcome } from './outcome.ts';
export type { Route } from './plan.ts';
export { type ResilienceOptions, resilience } from './resilience.ts';
export { type BackoffOptions, type RetryCallOptions, type RetryOptions, type RetryState, retry } from './retry.ts';
export { type RetryBudget, type RetryBudgetOptions, retryBudget } from './retry-budget.ts';
// `timeoutLayer` stays internal: `resilience()` uses it to put retry between the two timeouts.
export { type TimeoutCallOptions, type TimeoutOptions, timeout } from './timeout.ts';
