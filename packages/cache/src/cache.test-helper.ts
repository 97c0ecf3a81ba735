// Test helpers: a client with the cache over a fake clock, and what it reported.
import {
  type CacheStatus,
  type CacheStore,
  createFakeClock,
  createFetch,
  type FakeClock,
  type FerruleEvent,
} from '@ferrule/core';
import { cache } from './cache.ts';
import { type MemoryCacheStore, memoryCacheStore } from './memory-store.ts';
import type { CacheOptions } from './options.ts';

/** 1 January 2025, 00:00:00 GMT: a whole second, so HTTP dates round-trip exactly. */
export const START_MS = Date.UTC(2025, 0, 1);

/** An HTTP-date `offsetMs` from the fake clock's now. */
export const httpDate = (clock: FakeClock, offsetMs = 0) => new Date(clock.now() + offsetMs).toUTCString();

export interface Client {
  clock: FakeClock;
  store: MemoryCacheStore;
  /** Every key the cache has written to the store, in order. */
  keys: string[];
  events: FerruleEvent[];
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** The cache statuses reported so far, in order. */
  statuses(): CacheStatus[];
  /** Waits until `count` responses in all have been stored. */
  stored(count?: number): Promise<void>;
}

/** A fetch with `cache(options)` over a memory store, all on one fake clock. */
export function client(options: CacheOptions = {}, clock = createFakeClock(START_MS)): Client {
  const store = memoryCacheStore({ clock });
  const keys: string[] = [];
  const recording: CacheStore = {
    get: (key) => store.get(key),
    set: (key, record, setOptions) => {
      keys.push(key);
      return store.set(key, record, setOptions);
    },
    delete: (key) => store.delete(key),
  };
  const events: FerruleEvent[] = [];
  const waiters = new Set<() => void>();
  const onEvent = (event: FerruleEvent) => {
    events.push(event);
    for (const check of waiters) check();
  };
  const fetch = createFetch({ use: [cache({ store: recording, ...options })], clock, onEvent });
  const cacheEvents = () => events.flatMap((event) => (event.type === 'cache' ? [event.status] : []));
  const stored = (count = 1) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (cacheEvents().filter((status) => status === 'stored').length < count) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return {
    clock,
    store,
    keys,
    events,
    fetch,
    statuses: () => cacheEvents().filter((status) => status !== 'stored'),
    stored,
  };
}
