import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { isConfigError, isValidationError, type ValidationError } from './errors.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import { validateData, validateOptions } from './validate.ts';

const RetryOptions = v.strictObject({
  maxAttempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3),
  methods: v.optional(v.array(v.picklist(['GET', 'POST']))),
  clientSecret: v.optional(v.pipe(v.string(), v.minLength(8))),
});

const catchError = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as Error & { option?: string; expected?: string };
  }
  throw new Error('expected a throw');
};

describe('validateOptions', () => {
  it('returns the parsed output with defaults filled in', () => {
    expect(validateOptions(RetryOptions, {}, 'retry')).toEqual({ maxAttempts: 3 });
  });

  it('throws a ConfigError naming the factory, the option and what was expected', () => {
    const error = catchError(() => validateOptions(RetryOptions, { maxAttempts: 0 }, 'retry'));
    expect(isConfigError(error)).toBe(true);
    expect(error.option).toBe('retry.maxAttempts');
    expect(error.message).toBe('Invalid option `retry.maxAttempts`: expected >=1');
  });

  it('names a nested option by its path', () => {
    const error = catchError(() => validateOptions(RetryOptions, { methods: ['GET', 'PUT'] }, 'retry'));
    expect(error.option).toBe('retry.methods.1');
  });

  it('calls an unknown option what it is', () => {
    const error = catchError(() => validateOptions(RetryOptions, { maxAttemps: 2 }, 'retry'));
    expect(error.message).toBe('Invalid option `retry.maxAttemps`: expected no such option');
  });

  it('never puts the value it received in the message', () => {
    const error = catchError(() => validateOptions(RetryOptions, { clientSecret: 'short' }, 'oauth2'));
    expect(error.message).not.toContain('short');
    const typed = catchError(() => validateOptions(RetryOptions, { methods: ['super-secret-value'] }, 'retry'));
    expect(typed.message).not.toContain('super-secret-value');
  });

  it('says that a missing option is required', () => {
    const Bucket = v.object({ burst: v.number() });
    expect(catchError(() => validateOptions(Bucket, {}, 'tokenBucket')).message).toBe(
      'Invalid option `tokenBucket.burst`: expected a value (the option is required)',
    );
  });

  it('keeps a message the schema wrote itself', () => {
    const Named = v.object({ id: v.pipe(v.string(), v.regex(/^[a-z]+$/, 'a lowercase id')) });
    expect(catchError(() => validateOptions(Named, { id: 'ABC' }, 'cache')).message).toBe(
      'Invalid option `cache.id`: expected a lowercase id',
    );
  });

  it('refuses a schema that only validates asynchronously', () => {
    const asyncSchema = {
      '~standard': { version: 1, vendor: 'test', validate: async (value: unknown) => ({ value }) },
    } as StandardSchemaV1;
    expect(catchError(() => validateOptions(asyncSchema, {}, 'cache')).message).toContain('synchronously');
  });
});

describe('validateData', () => {
  const User = v.object({ id: v.number(), email: v.pipe(v.string(), v.email()) });

  it('returns the typed output', async () => {
    const user: { id: number; email: string } = await validateData(User, { id: 1, email: 'a@b.test' });
    expect(user).toEqual({ id: 1, email: 'a@b.test' });
  });

  it('throws a ValidationError with issue paths and the call, never the data', async () => {
    const request = new Request('https://api.test/users/1?token=t0k3n');
    const error = (await validateData(User, { id: 'one', email: 'secret-password@' }, { request }).catch(
      (caught: unknown) => caught,
    )) as ValidationError;
    expect(isValidationError(error)).toBe(true);
    expect(error.issues.map((issue) => issue.path)).toEqual(['id', 'email']);
    expect(error.message).toContain('GET https://api.test/users/1?token=[REDACTED]');
    expect(JSON.stringify({ message: error.message, issues: error.issues })).not.toMatch(/one|secret-password|t0k3n/);
  });
});
