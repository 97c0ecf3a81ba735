import { redactUrl } from './redact.ts';

const MARKER = Symbol.for('ferrule.error');

/** Stable machine-readable codes of every ferrule error. */
export type FerruleErrorCode =
  | 'TIMEOUT'
  | 'CIRCUIT_OPEN'
  | 'BULKHEAD_REJECTED'
  | 'RATE_LIMITED'
  | 'AUTH'
  | 'VALIDATION'
  | 'PARSE'
  | 'BODY_TOO_LARGE'
  | 'PAGINATION'
  | 'CONFIG'
  | 'STORE'
  | (string & {});

/** What every ferrule error may be told about the call it belongs to. */
export interface FerruleErrorOptions {
  /** The request of the call: its method and (redacted) URL go into the error. */
  request?: { method: string; url: string } | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base of every error ferrule throws. `code` is stable; `method` and `url` name the call
 * (the URL with key-like query parameters redacted); the message never holds a secret.
 * Check with {@link isFerruleError} (works across two installed copies of core), not `instanceof`.
 */
export class FerruleError extends Error {
  /** Stable machine-readable code, e.g. `'TIMEOUT'`. */
  readonly code: FerruleErrorCode;
  /** The HTTP method of the call, when known. */
  readonly method: string | undefined;
  /** The URL of the call with secrets redacted, when known. */
  readonly url: string | undefined;

  constructor(code: FerruleErrorCode, message: string, options: FerruleErrorOptions = {}) {
    const { request, cause } = options;
    const url = request ? redactUrl(request.url) : undefined;
    super(request ? `${message} (${request.method} ${url})` : message, { cause });
    this.name = 'FerruleError';
    this.code = code;
    this.method = request?.method;
    this.url = url;
    // A marker rather than `instanceof`, so the guards work across two installed copies of core.
    Object.defineProperty(this, MARKER, { value: true });
  }
}

/** A timeout fired: per attempt, or for the whole call including reading the body. */
export class TimeoutError extends FerruleError {
  readonly timeoutMs: number;
  readonly scope: 'attempt' | 'total';
  constructor(scope: 'attempt' | 'total', timeoutMs: number, options?: FerruleErrorOptions) {
    super('TIMEOUT', `${scope === 'total' ? 'Call' : 'Attempt'} timed out after ${timeoutMs} ms`, options);
    this.name = 'TimeoutError';
    this.scope = scope;
    this.timeoutMs = timeoutMs;
  }
}

/** The circuit for this call's key is open: the call was refused without touching the network. */
export class CircuitOpenError extends FerruleError {
  readonly key: string;
  /** How long until the circuit lets a probe through, when known. */
  readonly retryAfterMs: number | undefined;
  constructor(key: string, retryAfterMs?: number, options?: FerruleErrorOptions) {
    super('CIRCUIT_OPEN', `Circuit open for ${key}`, options);
    this.name = 'CircuitOpenError';
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The bulkhead is full: too many calls run and its queue is full too. */
export class BulkheadRejectedError extends FerruleError {
  constructor(options?: FerruleErrorOptions) {
    super('BULKHEAD_REJECTED', 'Bulkhead full', options);
    this.name = 'BulkheadRejectedError';
  }
}

/** The rate limiter refused the call: its queue was full or the wait would exceed the limit. */
export class RateLimitedError extends FerruleError {
  readonly retryAfterMs: number | undefined;
  readonly reason: string;
  constructor(reason: string, retryAfterMs?: number, options?: FerruleErrorOptions) {
    super('RATE_LIMITED', `Rate limited: ${reason}`, options);
    this.name = 'RateLimitedError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Authentication failed: a token endpoint refused, a credential could not be obtained, a 401 persisted. */
export class AuthError extends FerruleError {
  /** The HTTP status that the server answered with, when there was one. */
  readonly status: number | undefined;
  /** The OAuth 2.0 `error` code (RFC 6749 §5.2), e.g. `invalid_client`. */
  readonly oauthError: string | undefined;
  /** The OAuth 2.0 `error_description`, when the server sent one. */
  readonly oauthErrorDescription: string | undefined;
  constructor(
    message: string,
    details: { status?: number; oauthError?: string; oauthErrorDescription?: string } = {},
    options?: FerruleErrorOptions,
  ) {
    super('AUTH', message, options);
    this.name = 'AuthError';
    this.status = details.status;
    this.oauthError = details.oauthError;
    this.oauthErrorDescription = details.oauthErrorDescription;
  }
}

/** One problem found by a schema. */
export interface ValidationIssue {
  /** Dotted path to the offending value, `''` for the root. */
  path: string;
  message: string;
}

/** A response body (or pagination item) did not match its schema. Holds issue paths, never the body. */
export class ValidationError extends FerruleError {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], options?: FerruleErrorOptions) {
    const first = issues[0];
    super(
      'VALIDATION',
      `Response failed validation: ${first ? `${first.path || '(root)'}: ${first.message}` : 'unknown issue'}${
        issues.length > 1 ? ` (+${issues.length - 1} more)` : ''
      }`,
      options,
    );
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** A body could not be parsed as asked (malformed JSON, or not JSON at all). */
export class ParseError extends FerruleError {
  readonly status: number;
  readonly contentType: string | undefined;
  constructor(message: string, status: number, contentType: string | undefined, options?: FerruleErrorOptions) {
    super('PARSE', message, options);
    this.name = 'ParseError';
    this.status = status;
    this.contentType = contentType;
  }
}

/** A body exceeded the configured size limit; its stream was cancelled. */
export class BodyTooLargeError extends FerruleError {
  readonly limitBytes: number;
  constructor(limitBytes: number, options?: FerruleErrorOptions) {
    super('BODY_TOO_LARGE', `Body larger than ${limitBytes} bytes`, options);
    this.name = 'BodyTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** Pagination stopped on something unsafe or malformed: a loop, a cross-origin link, a bad page. */
export class PaginationError extends FerruleError {
  readonly reason: string;
  constructor(reason: string, message: string, options?: FerruleErrorOptions) {
    super('PAGINATION', message, options);
    this.name = 'PaginationError';
    this.reason = reason;
  }
}

/** An option given to a factory is wrong. Names the option and what was expected, never the value. */
export class ConfigError extends FerruleError {
  /** Dotted path of the option, e.g. `retry.maxAttempts`. */
  readonly option: string;
  readonly expected: string;
  constructor(option: string, expected: string, options?: FerruleErrorOptions) {
    super('CONFIG', `Invalid option \`${option}\`: expected ${expected}`, options);
    this.name = 'ConfigError';
    this.option = option;
    this.expected = expected;
  }
}

/** A shared store (Redis, file) failed. */
export class StoreError extends FerruleError {
  constructor(message: string, options?: FerruleErrorOptions) {
    super('STORE', message, options);
    this.name = 'StoreError';
  }
}

/**
 * Whether `error` is a ferrule error (optionally with this `code`), from any installed copy of core.
 * @example
 * if (isFerruleError(error, 'RATE_LIMITED')) console.log(error.code);
 */
export function isFerruleError(error: unknown, code?: FerruleErrorCode): error is FerruleError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[MARKER] === true &&
    (code === undefined || (error as FerruleError).code === code)
  );
}

const guard =
  <T extends FerruleError>(code: FerruleErrorCode) =>
  (error: unknown): error is T =>
    isFerruleError(error, code);

/** Whether `error` is a {@link TimeoutError}. */
export const isTimeoutError = /* @__PURE__ */ guard<TimeoutError>('TIMEOUT');
/** Whether `error` is a {@link CircuitOpenError}. */
export const isCircuitOpenError = /* @__PURE__ */ guard<CircuitOpenError>('CIRCUIT_OPEN');
/** Whether `error` is a {@link BulkheadRejectedError}. */
export const isBulkheadRejectedError = /* @__PURE__ */ guard<BulkheadRejectedError>('BULKHEAD_REJECTED');
/** Whether `error` is a {@link RateLimitedError}. */
export const isRateLimitedError = /* @__PURE__ */ guard<RateLimitedError>('RATE_LIMITED');
/** Whether `error` is an {@link AuthError}. */
export const isAuthError = /* @__PURE__ */ guard<AuthError>('AUTH');
/** Whether `error` is a {@link ValidationError}. */
export const isValidationError = /* @__PURE__ */ guard<ValidationError>('VALIDATION');
/** Whether `error` is a {@link ParseError}. */
export const isParseError = /* @__PURE__ */ guard<ParseError>('PARSE');
/** Whether `error` is a {@link BodyTooLargeError}. */
export const isBodyTooLargeError = /* @__PURE__ */ guard<BodyTooLargeError>('BODY_TOO_LARGE');
/** Whether `error` is a {@link PaginationError}. */
export const isPaginationError = /* @__PURE__ */ guard<PaginationError>('PAGINATION');
/** Whether `error` is a {@link ConfigError}. */
export const isConfigError = /* @__PURE__ */ guard<ConfigError>('CONFIG');
/** Whether `error` is a {@link StoreError}. */
export const isStoreError = /* @__PURE__ */ guard<StoreError>('STORE');
