import type { TokenSet, TokenStore } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { eventually, type StoreContractEnv, type StoreContractOptions, storeSetup } from './store-contract-env.ts';

/**
 * The behaviour every {@link TokenStore} must have, as a vitest suite. The factory must return an
 * empty store each time.
 * @example
 * describeTokenStore('memory', ({ clock }) => memoryStore({ clock }));
 */
export function describeTokenStore<Store extends TokenStore>(
  name: string,
  factory: (env: StoreContractEnv) => Store | Promise<Store>,
  options: StoreContractOptions<Store> = {},
): void {
  describe(`TokenStore contract: ${name}`, () => {
    const setup = storeSetup(factory, options);
    const { time = 'fake' } = options;

    const full: TokenSet = {
      accessToken: 'access-1',
      tokenType: 'Bearer',
      expiresAtMs: 1_700_000_000_000,
      refreshToken: 'refresh-1',
      scope: 'read write',
    };

    it('answers undefined for a key it never stored', async () => {
      const { store } = await setup();
      expect(await store.get('absent')).toBeUndefined();
    });

    it('round-trips a full token set and a minimal one', async () => {
      const { store } = await setup();
      await store.set('full', full);
      await store.set('minimal', { accessToken: 'a', tokenType: 'Bearer' });
      expect(await store.get('full')).toEqual(full);
      expect(await store.get('minimal')).toEqual({ accessToken: 'a', tokenType: 'Bearer' });
    });

    it('replaces a rotated refresh token at once', async () => {
      const { store } = await setup();
      await store.set('client', full);
      await store.set('client', { ...full, accessToken: 'access-2', refreshToken: 'refresh-2' });
      expect((await store.get('client'))?.refreshToken).toBe('refresh-2');
    });

    it('deletes a token set', async () => {
      const { store } = await setup();
      await store.set('client', full);
      await store.delete('client');
      await store.delete('never-stored');
      expect(await store.get('client')).toBeUndefined();
    });

    it('keeps keys apart', async () => {
      const { store } = await setup();
      await store.set('client-a', { ...full, accessToken: 'a' });
      await store.set('client-b', { ...full, accessToken: 'b' });
      expect((await store.get('client-a'))?.accessToken).toBe('a');
      expect((await store.get('client-b'))?.accessToken).toBe('b');
    });

    it('forgets a token set when its time to live runs out', async () => {
      const { env, store } = await setup();
      const ttlMs = time === 'fake' ? 1_000 : 300;
      await store.set('client', full, { ttlMs });
      if (time === 'fake') {
        await env.advance(ttlMs - 1);
        expect(await store.get('client')).toBeDefined();
        await env.advance(2);
        expect(await store.get('client')).toBeUndefined();
      } else {
        expect(await eventually(async () => (await store.get('client')) === undefined)).toBe(true);
      }
    });
  });
}
