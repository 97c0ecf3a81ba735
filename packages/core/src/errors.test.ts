import { describe, expect, it } from 'vitest';
import {
  AuthError,
  BodyTooLargeError,
  BulkheadRejectedError,
  CircuitOpenError,
  ConfigError,
  FerruleError,
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
} from './errors.ts';

const request = new Request('https://api.test/items?api_key=s3cr3t&page=2', { method: 'POST' });
const options = { request, cause: new Error('root cause') };

const cases = [
  [new TimeoutError('attempt', 5_000, options), 'TIMEOUT', 'TimeoutError', isTimeoutError],
  [new CircuitOpenError('api.test', 1_000, options), 'CIRCUIT_OPEN', 'CircuitOpenError', isCircuitOpenError],
  [new BulkheadRejectedError(options), 'BULKHEAD_REJECTED', 'BulkheadRejectedError', isBulkheadRejectedError],
  [new RateLimitedError('queue full', 200, options), 'RATE_LIMITED', 'RateLimitedError', isRateLimitedError],
  [
    new AuthError('token endpoint refused', { status: 401, oauthError: 'invalid_client' }, options),
    'AUTH',
    'AuthError',
    isAuthError,
  ],
  [
    new ValidationError([{ path: 'items.0.id', message: 'Invalid type' }], options),
    'VALIDATION',
    'ValidationError',
    isValidationError,
  ],
  [new ParseError('Malformed JSON', 200, 'application/json', options), 'PARSE', 'ParseError', isParseError],
  [new BodyTooLargeError(1024, options), 'BODY_TOO_LARGE', 'BodyTooLargeError', isBodyTooLargeError],
  [new PaginationError('loop', 'Cursor repeated', options), 'PAGINATION', 'PaginationError', isPaginationError],
  [new ConfigError('retry.maxAttempts', '>=1', options), 'CONFIG', 'ConfigError', isConfigError],
  [new StoreError('Redis unreachable', options), 'STORE', 'StoreError', isStoreError],
] as const;

describe('ferrule errors', () => {
  it.each(cases)('%s has a stable code, its name, the call and the cause', (error, code, name, guard) => {
    expect(error).toBeInstanceOf(FerruleError);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.method).toBe('POST');
    expect(error.url).toBe('https://api.test/items?api_key=[REDACTED]&page=2');
    expect(error.message).toContain('(POST https://api.test/items?api_key=[REDACTED]&page=2)');
    expect(error.message).not.toContain('s3cr3t');
    expect(error.cause).toBe(options.cause);
    expect(guard(error)).toBe(true);
    expect(isFerruleError(error, code)).toBe(true);
  });

  it('guards tell the error kinds apart and reject anything else', () => {
    const timeout = new TimeoutError('total', 1_000);
    expect(isCircuitOpenError(timeout)).toBe(false);
    expect(isFerruleError(new Error('plain'))).toBe(false);
    expect(isFerruleError(null)).toBe(false);
    expect(isFerruleError({ code: 'TIMEOUT' })).toBe(false);
  });

  it('guards recognise an error from another installed copy of core by its marker', () => {
    const foreign = Object.defineProperty(new Error('from copy two'), Symbol.for('ferrule.error'), { value: true });
    Object.assign(foreign, { code: 'TIMEOUT' });
    expect(isTimeoutError(foreign)).toBe(true);
  });

  it('keeps the facts a caller decides on as fields', () => {
    expect(new TimeoutError('total', 1_500)).toMatchObject({ scope: 'total', timeoutMs: 1_500, method: undefined });
    expect(new RateLimitedError('max wait', 250)).toMatchObject({ reason: 'max wait', retryAfterMs: 250 });
    expect(
      new AuthError('refused', { status: 400, oauthError: 'invalid_grant', oauthErrorDescription: 'expired' }),
    ).toMatchObject({
      status: 400,
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'expired',
    });
    expect(new ConfigError('cache.maxEntryBytes', 'a positive integer').message).toBe(
      'Invalid option `cache.maxEntryBytes`: expected a positive integer',
    );
  });

  it('summarises validation issues without the data', () => {
    const error = new ValidationError([
      { path: 'items.0.price', message: 'Invalid type: Expected number' },
      { path: '', message: 'Invalid key' },
    ]);
    expect(error.message).toBe('Response failed validation: items.0.price: Invalid type: Expected number (+1 more)');
  });
});
