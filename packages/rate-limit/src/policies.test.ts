import { describe, expect, it } from 'vitest';
import { concurrency, fixedWindow, slidingWindow, tokenBucket } from './index.ts';

describe('policies', () => {
  it('builds the store policies that RateLimitStore takes', () => {
    expect(tokenBucket({ ratePerSecond: 10, burst: 20 })).toEqual({
      type: 'token-bucket',
      ratePerSecond: 10,
      burst: 20,
    });
    expect(slidingWindow({ limit: 100, windowMs: 60_000 })).toEqual({
      type: 'sliding-window',
      limit: 100,
      windowMs: 60_000,
    });
    expect(fixedWindow({ limit: 5000, windowMs: 3_600_000 })).toEqual({
      type: 'fixed-window',
      limit: 5000,
      windowMs: 3_600_000,
    });
    expect(concurrency({ max: 4 })).toEqual({ type: 'concurrency', max: 4 });
  });

  it("gives a token bucket one second's worth of burst by default, at least 1", () => {
    expect(tokenBucket({ ratePerSecond: 2.5 }).burst).toBe(3);
    expect(tokenBucket({ ratePerSecond: 0.2 }).burst).toBe(1);
  });

  it.each([
    [() => tokenBucket({ ratePerSecond: 0 }), 'tokenBucket.ratePerSecond'],
    [() => tokenBucket({ ratePerSecond: Infinity }), 'tokenBucket.ratePerSecond'],
    [() => tokenBucket({ ratePerSecond: Number.NaN }), 'tokenBucket.ratePerSecond'],
    [() => tokenBucket({ ratePerSecond: '10' as never }), 'tokenBucket.ratePerSecond'],
    [() => tokenBucket({ ratePerSecond: 1, burst: 0.5 }), 'tokenBucket.burst'],
    [() => slidingWindow({ limit: 0, windowMs: 1_000 }), 'slidingWindow.limit'],
    [() => slidingWindow({ limit: 1, windowMs: -1 }), 'slidingWindow.windowMs'],
    [() => fixedWindow({ limit: 1.5, windowMs: 1_000 }), 'fixedWindow.limit'],
    [() => fixedWindow({ limit: 1 } as never), 'fixedWindow.windowMs'],
    [() => concurrency({ max: 0 }), 'concurrency.max'],
    [() => concurrency({ max: 2, queue: 5 } as never), 'concurrency.queue'],
    [() => tokenBucket(undefined as never), 'tokenBucket'],
  ])('refuses bad input with a ConfigError naming %#: %s', (make, option) => {
    expect(make).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
  });
});
