export { type MemoryRateLimitStoreOptions, memoryRateLimitStore } from './memory-store.ts';
export {
  type ConcurrencyPolicy,
  concurrency,
  fixedWindow,
  type Policy,
  slidingWindow,
  type TokenBucketOptions,
  tokenBucket,
  type WindowOptions,
} from './policies.ts';
export {
  type AdaptiveOptions,
  type RateLimitCallOptions,
  type RateLimitOptions,
  type RateLimitRoute,
  rateLimit,
} from './rate-limit.ts';
// The queue, the lanes and the adaptive state are internal: `rateLimit` is the API.
