import { createFakeClock, isConfigError, type RateLimitPolicy } from '@ferrule/core';
import { describeRateLimitStore } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { memoryRateLimitStore } from './memory-store.ts';

describeRateLimitStore('memoryRateLimitStore', ({ clock }) => memoryRateLimitStore({ clock }));

describe('memoryRateLimitStore', () => {
  const bucket: RateLimitPolicy = { type: 'token-bucket', ratePerSecond: 2, burst: 2 };

  it('refills a token bucket evenly, keeping the fraction a late take finds', async () => {
    const clock = createFakeClock(0);
    const store = memoryRateLimitStore({ clock });
    await store.take('k', bucket, 2);
    await clock.advance(750); // 1.5 tokens
    expect(await store.take('k', bucket)).toEqual({ granted: true, waitMs: 0, remaining: 0 });
    const refused = await store.take('k', bucket);
    expect(refused).toEqual({ granted: false, waitMs: 250, remaining: 0 });
    await clock.advance(249);
    expect((await store.take('k', bucket)).granted).toBe(false);
    await clock.advance(1);
    expect((await store.take('k', bucket)).granted).toBe(true);
  });

  it('aligns fixed windows to the epoch', async () => {
    const clock = createFakeClock(1_250);
    const store = memoryRateLimitStore({ clock });
    const policy: RateLimitPolicy = { type: 'fixed-window', limit: 1, windowMs: 1_000 };
    expect((await store.take('k', policy)).granted).toBe(true);
    expect(await store.take('k', policy)).toEqual({ granted: false, waitMs: 750, remaining: 0 });
    await clock.advance(750);
    expect((await store.take('k', policy)).granted).toBe(true);
  });

  it('lets a sliding window grant again only as each grant leaves the window', async () => {
    const clock = createFakeClock(0);
    const store = memoryRateLimitStore({ clock });
    const policy: RateLimitPolicy = { type: 'sliding-window', limit: 2, windowMs: 1_000 };
    await store.take('k', policy);
    await clock.advance(400);
    await store.take('k', policy);
    expect((await store.take('k', policy)).waitMs).toBe(600);
    await clock.advance(600);
    expect(await store.take('k', policy)).toMatchObject({ granted: true, remaining: 0 });
    expect((await store.take('k', policy)).waitMs).toBe(400);
  });

  it('names an infinite wait for a cost no policy could ever grant', async () => {
    const store = memoryRateLimitStore({ clock: createFakeClock(0) });
    expect((await store.take('k', bucket, 3)).waitMs).toBe(Infinity);
    expect((await store.take('k', { type: 'fixed-window', limit: 2, windowMs: 100 }, 3)).waitMs).toBe(Infinity);
    expect((await store.take('k', { type: 'sliding-window', limit: 2, windowMs: 100 }, 3)).waitMs).toBe(Infinity);
  });

  it('keeps a longer pause when a shorter one arrives', async () => {
    const clock = createFakeClock(0);
    const store = memoryRateLimitStore({ clock });
    await store.pause('k', 1_000);
    await store.pause('k', 10);
    expect((await store.take('k', bucket)).waitMs).toBe(1_000);
  });

  it('drops idle keys before busy ones when it holds maxKeys', async () => {
    const clock = createFakeClock(0);
    const store = memoryRateLimitStore({ clock, maxKeys: 2 });
    const slow: RateLimitPolicy = { type: 'fixed-window', limit: 1, windowMs: 60_000 };
    const quick: RateLimitPolicy = { type: 'fixed-window', limit: 1, windowMs: 10 };
    await store.take('busy', slow);
    await store.take('idle-soon', quick);
    await clock.advance(10);
    await store.take('new', slow); // makes room: 'idle-soon' holds nothing any more
    expect((await store.take('busy', slow)).granted).toBe(false);
  });

  it('drops the oldest busy key when every key is busy, never holding more than maxKeys', async () => {
    const clock = createFakeClock(0);
    const store = memoryRateLimitStore({ clock, maxKeys: 2 });
    const slow: RateLimitPolicy = { type: 'fixed-window', limit: 1, windowMs: 60_000 };
    await store.take('a', slow);
    await store.take('b', slow);
    await store.take('c', slow);
    expect((await store.take('a', slow)).granted).toBe(true); // 'a' was forgotten
    expect((await store.take('c', slow)).granted).toBe(false);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a cost of %s with a ConfigError', async (cost) => {
    const store = memoryRateLimitStore({ clock: createFakeClock(0) });
    await expect(store.take('k', bucket, cost)).rejects.toSatisfy(isConfigError);
  });

  it.each([-1, Number.NaN])('refuses a pause of %s ms with a ConfigError', async (durationMs) => {
    const store = memoryRateLimitStore({ clock: createFakeClock(0) });
    await expect(store.pause('k', durationMs)).rejects.toSatisfy(isConfigError);
  });

  it('names the option that is wrong', () => {
    expect(() => memoryRateLimitStore({ maxKeys: 0 })).toThrow(/memoryRateLimitStore\.maxKeys/);
    expect(() => memoryRateLimitStore({ clock: {} as never })).toThrow(/memoryRateLimitStore\.clock\.now/);
  });
});
