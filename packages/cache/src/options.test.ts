import { isConfigError } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { cache } from './cache.ts';
import type { CacheOptions } from './options.ts';

const failure = (options: unknown) => {
  try {
    cache(options as CacheOptions);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('cache options', () => {
  it('accepts every option in its documented form', () => {
    expect(() =>
      cache({
        store: { get: async () => undefined, set: async () => {}, delete: async () => {} },
        mode: 'ttl',
        rules: [
          { match: 'GET /products/*', ttlMs: 60_000 },
          { match: () => true, ttlMs: 0 },
        ],
        maxEntryBytes: 1024,
        staleWhileRevalidateMs: 1_000,
        staleIfErrorMs: 60_000,
        dedupe: { lock: { acquire: async () => true, release: async () => {} }, lockTtlMs: 2_000, pollMs: 25 },
        private: false,
      }),
    ).not.toThrow();
  });

  it.each([
    [{ mode: 'lru' }, 'cache.mode'],
    [{ maxEntryBytes: 0 }, 'cache.maxEntryBytes'],
    [{ maxEntryBytes: 1.5 }, 'cache.maxEntryBytes'],
    [{ staleIfErrorMs: -1 }, 'cache.staleIfErrorMs'],
    [{ staleWhileRevalidateMs: Number.NaN }, 'cache.staleWhileRevalidateMs'],
    [{ store: { get: () => undefined } }, 'cache.store.set'],
    [{ rules: [{ match: 'GET /a', ttlMs: -5 }] }, 'cache.rules.0.ttlMs'],
    [{ rules: [{ match: 42, ttlMs: 5 }] }, 'cache.rules.0.match'],
    [{ rules: [{ match: 'GET /a b c', ttlMs: 5 }] }, 'cache.rules'],
    [{ rules: [{ match: '', ttlMs: 5 }] }, 'cache.rules'],
    [{ dedupe: { lock: {} } }, 'cache.dedupe'],
    [{ dedupe: { pollMs: 0 } }, 'cache.dedupe'],
    [{ private: 'yes' }, 'cache.private'],
    [{ ttl: 5 }, 'cache.ttl'],
  ])('rejects %j with a ConfigError naming %s', (options, option) => {
    const error = failure(options);
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toMatch(new RegExp(`^${option.replaceAll('.', '\\.')}`));
  });

  it('never echoes the value it rejects', () => {
    const error = failure({ mode: 'sk_live_secret' });
    expect((error as Error).message).not.toContain('sk_live_secret');
  });
});
