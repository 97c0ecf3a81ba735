export { type Clock, createFakeClock, type FakeClock, systemClock } from './clock.ts';
export { type CreateFetchOptions, createFetch, TAKES_REQUEST } from './create-fetch.ts';
export {
  AuthError,
  BodyTooLargeError,
  BulkheadRejectedError,
  CircuitOpenError,
  ConfigError,
  FerruleError,
  type FerruleErrorCode,
  type FerruleErrorOptions,
  isAuthError,
  isBodyTooLargeError,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isConfigError,
  isFerruleError,
  isPaginationError,
  isParseError,
  isRateLimitedError,
  isStoreError,
  isTimeoutError,
  isValidationError,
  PaginationError,
  ParseError,
  RateLimitedError,
  StoreError,
  TimeoutError,
  ValidationError,
  type ValidationIssue,
} from './errors.ts';
export {
  type CacheStatus,
  type CircuitState,
  type EmittedEvent,
  type FerruleEvent,
  type FerruleEventMap,
  type FerruleEventType,
  safely,
} from './events.ts';
export { parseHttpDate } from './http-date.ts';
export type { CallOptions, Context, FetchFunction, Middleware, Next } from './middleware.ts';
export {
  parseRateLimitHeaders,
  parseRateLimitPolicy,
  parseResetValue,
  type RateLimitInfo,
  type RateLimitPolicyInfo,
} from './rate-limit-headers.ts';
export { isSensitiveName, REDACTED, redactBody, redactHeaders, redactUrl } from './redact.ts';
// `own`, `followsSignal` and the markers stay internal; the functions below are the API.
export { abortable, editable, neverAborts, replayable } from './request.ts';
export { getRetryAfterMs, parseRetryAfter, type RetryAfterOptions } from './retry-after.ts';
export { compileRoutes, matchRoute, type RouteMatcher } from './route.ts';
export type { StandardSchemaV1 } from './standard-schema.ts';
export {
  type CacheRecord,
  type CacheStore,
  type KeyValueStore,
  type MemoryStoreOptions,
  memoryStore,
  type RateLimitPolicy,
  type RateLimitStore,
  type RateLimitTake,
  type TokenSet,
  type TokenStore,
} from './stores.ts';
export {
  type BareItem,
  parseStructuredDictionary,
  parseStructuredList,
  type StructuredItem,
} from './structured-field.ts';
export { validateData, validateOptions } from './validate.ts';
