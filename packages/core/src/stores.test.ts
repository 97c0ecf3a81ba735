import { describe, expect, it } from 'vitest';
import { createFakeClock } from './clock.ts';
import { memoryStore } from './stores.ts';

// The full TokenStore contract suite runs against memoryStore in @ferrule/testing.
describe('memoryStore', () => {
  it('expires an entry at its time to live, not before', async () => {
    const clock = createFakeClock(0);
    const store = memoryStore<string>({ clock });
    await store.set('a', 'value', { ttlMs: 100 });
    await clock.advance(99);
    expect(await store.get('a')).toBe('value');
    await clock.advance(1);
    expect(await store.get('a')).toBeUndefined();
  });

  it('drops the oldest entries beyond maxEntries, counting a rewrite as new', async () => {
    const store = memoryStore<number>({ maxEntries: 2 });
    await store.set('a', 1);
    await store.set('b', 2);
    await store.set('a', 3);
    await store.set('c', 4);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe(3);
    expect(await store.get('c')).toBe(4);
  });
});
