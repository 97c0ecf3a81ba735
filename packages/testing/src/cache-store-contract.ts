import type { CacheRecord, CacheStore } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { eventually, type StoreContractEnv, type StoreContractOptions, storeSetup } from './store-contract-env.ts';

const allBytes = () => Uint8Array.from({ length: 256 }, (_, index) => index);
const bytesOf = (record: CacheRecord | undefined) => (record ? Array.from(record.body) : undefined);

/**
 * The behaviour every {@link CacheStore} must have, as a vitest suite. The factory must return an
 * empty store each time (for a shared backend, use a fresh key prefix).
 * @example
 * describeCacheStore('memory', ({ clock }) => memoryCacheStore({ clock }));
 */
export function describeCacheStore<Store extends CacheStore>(
  name: string,
  factory: (env: StoreContractEnv) => Store | Promise<Store>,
  options: StoreContractOptions<Store> = {},
): void {
  describe(`CacheStore contract: ${name}`, () => {
    const setup = storeSetup(factory, options);
    const { time = 'fake' } = options;

    it('answers undefined for a key it never stored', async () => {
      const { store } = await setup();
      expect(await store.get('absent')).toBeUndefined();
    });

    it('keeps every byte of a binary body and the metadata as JSON', async () => {
      const { store } = await setup();
      const metadata = {
        status: 200,
        headers: [['content-type', 'application/octet-stream']],
        nested: { a: [1, null, 'ü'] },
      };
      await store.set('binary', { metadata, body: allBytes() });
      const record = await store.get('binary');
      expect(record?.metadata).toEqual(metadata);
      expect(record?.body).toBeInstanceOf(Uint8Array);
      expect(bytesOf(record)).toEqual(Array.from(allBytes()));
    });

    it('keeps an empty body and a large one', async () => {
      const { store } = await setup();
      const large = new Uint8Array(1024 * 1024).map((_, index) => (index * 31) % 256);
      await store.set('empty', { metadata: {}, body: new Uint8Array(0) });
      await store.set('large', { metadata: {}, body: large });
      expect(bytesOf(await store.get('empty'))).toEqual([]);
      const record = await store.get('large');
      expect(record?.body.byteLength).toBe(large.byteLength);
      expect(Buffer.compare(Buffer.from(record?.body ?? []), Buffer.from(large))).toBe(0);
    });

    it('replaces a record on a second set', async () => {
      const { store } = await setup();
      await store.set('key', { metadata: { version: 1 }, body: new Uint8Array([1]) });
      await store.set('key', { metadata: { version: 2 }, body: new Uint8Array([2, 2]) });
      const record = await store.get('key');
      expect(record?.metadata).toEqual({ version: 2 });
      expect(bytesOf(record)).toEqual([2, 2]);
    });

    it('deletes a record, and deleting an absent key is not an error', async () => {
      const { store } = await setup();
      await store.set('key', { metadata: {}, body: new Uint8Array([1]) });
      await store.delete('key');
      await store.delete('never-stored');
      expect(await store.get('key')).toBeUndefined();
    });

    it('keeps keys apart, however alike', async () => {
      const { store } = await setup();
      const keys = ['a', 'A', 'a:', 'a b', 'GET https://x.test/a?b=1', 'ключ', `${'k'.repeat(500)}`];
      await Promise.all(
        keys.map((key, index) => store.set(key, { metadata: { index }, body: new Uint8Array([index]) })),
      );
      for (const [index, key] of keys.entries()) {
        expect((await store.get(key))?.metadata).toEqual({ index });
      }
    });

    it('forgets a record when its time to live runs out', async () => {
      const { env, store } = await setup();
      const ttlMs = time === 'fake' ? 1_000 : 300;
      await store.set('ttl', { metadata: {}, body: new Uint8Array([1]) }, { ttlMs });
      await store.set('forever', { metadata: {}, body: new Uint8Array([2]) });
      if (time === 'fake') {
        await env.advance(ttlMs - 1);
        expect(await store.get('ttl')).toBeDefined();
        await env.advance(2);
        expect(await store.get('ttl')).toBeUndefined();
      } else {
        expect(await store.get('ttl')).toBeDefined();
        expect(await eventually(async () => (await store.get('ttl')) === undefined)).toBe(true);
      }
      expect(await store.get('forever')).toBeDefined();
    });
  });
}
