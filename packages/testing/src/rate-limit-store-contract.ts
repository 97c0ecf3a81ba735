import type { RateLimitPolicy, RateLimitStore } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { type StoreContractEnv, type StoreContractOptions, storeSetup } from './store-contract-env.ts';

const takeMany = async (store: RateLimitStore, key: string, policy: RateLimitPolicy, count: number) => {
  const results = [];
  for (let index = 0; index < count; index++) results.push(await store.take(key, policy));
  return results;
};

/**
 * The behaviour every {@link RateLimitStore} must have, as a vitest suite: each policy grants what
 * it allows and no more, says how long to wait, takes atomically under concurrency, keeps keys
 * apart and honours a pause. The factory must return an empty store each time.
 * @example
 * describeRateLimitStore('memory', ({ clock }) => memoryRateLimitStore({ clock }));
 */
export function describeRateLimitStore<Store extends RateLimitStore>(
  name: string,
  factory: (env: StoreContractEnv) => Store | Promise<Store>,
  options: StoreContractOptions<Store> = {},
): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    const setup = storeSetup(factory, options);
    const { time = 'fake' } = options;
    // Real clocks move while the suite runs: allow this much slack on waits.
    const slackMs = time === 'fake' ? 1 : 60;

    const policies: RateLimitPolicy[] = [
      { type: 'token-bucket', ratePerSecond: 10, burst: 3 },
      { type: 'sliding-window', limit: 3, windowMs: 300 },
      { type: 'fixed-window', limit: 3, windowMs: 300 },
    ];

    for (const policy of policies) {
      describe(policy.type, () => {
        it('grants up to the limit, then refuses and says how long to wait', async () => {
          const { store } = await setup();
          const results = await takeMany(store, 'k', policy, 4);
          expect(results.slice(0, 3).map((result) => result.granted)).toEqual([true, true, true]);
          expect(results.map((result) => result.remaining).slice(0, 3)).toEqual([2, 1, 0]);
          const refused = results[3];
          expect(refused?.granted).toBe(false);
          expect(refused?.remaining).toBe(0);
          expect(refused?.waitMs).toBeGreaterThan(0);
          expect(refused?.waitMs).toBeLessThanOrEqual(policy.type === 'token-bucket' ? 100 + slackMs : 300 + slackMs);
        });

        it('grants again once the wait it named has passed, not before', async () => {
          const { env, store } = await setup();
          await takeMany(store, 'k', policy, 3);
          const refused = await store.take('k', policy);
          expect(refused.granted).toBe(false);
          if (time === 'fake') {
            await env.advance(refused.waitMs - 1);
            expect((await store.take('k', policy)).granted).toBe(false);
            await env.advance(1);
          } else {
            await env.advance(refused.waitMs + slackMs);
          }
          expect((await store.take('k', policy)).granted).toBe(true);
        });

        it('never grants more than the limit to concurrent takes', async () => {
          const { store } = await setup();
          const results = await Promise.all(Array.from({ length: 40 }, () => store.take('k', policy)));
          expect(results.filter((result) => result.granted)).toHaveLength(3);
        });

        it('keeps keys apart', async () => {
          const { store } = await setup();
          await takeMany(store, 'a', policy, 3);
          expect((await store.take('a', policy)).granted).toBe(false);
          expect((await store.take('b', policy)).granted).toBe(true);
        });

        it('takes a cost of several permits at once', async () => {
          const { store } = await setup();
          const first = await store.take('k', policy, 2);
          expect(first).toMatchObject({ granted: true, remaining: 1 });
          expect((await store.take('k', policy, 2)).granted).toBe(false);
          expect((await store.take('k', policy, 1)).granted).toBe(true);
        });
      });
    }

    it('refuses every take on a paused key until the pause ends, and no other key', async () => {
      const { env, store } = await setup();
      const policy: RateLimitPolicy = { type: 'token-bucket', ratePerSecond: 100, burst: 100 };
      await store.pause('k', 1_000);
      const refused = await store.take('k', policy);
      expect(refused.granted).toBe(false);
      expect(refused.waitMs).toBeGreaterThan(time === 'fake' ? 999 : 500);
      expect(refused.waitMs).toBeLessThanOrEqual(1_000);
      expect((await store.take('other', policy)).granted).toBe(true);
      await env.advance(refused.waitMs + (time === 'fake' ? 0 : slackMs));
      expect((await store.take('k', policy)).granted).toBe(true);
    });
  });
}
