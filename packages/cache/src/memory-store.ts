import { type CacheRecord, type CacheStore, type Clock, systemClock } from '@ferrule/core';
import type { CacheLock } from './options.ts';

/**
 * Options of {@link memoryCacheStore}.
 * @example
 * memoryCacheStore({ maxBytes: 16 * 1024 * 1024 });
 */
export interface MemoryCacheStoreOptions {
  /** The least recently used records are dropped beyond this many bytes (bodies, keys and metadata). @default 67_108_864 (64 MiB) */
  maxBytes?: number;
  /** The clock that expires records. @default systemClock (the `cache` middleware's own store uses the call's clock) */
  clock?: Clock;
}

/**
 * A cache store in this process's memory, and a lock for several caches that share it.
 * @example
 * const store = memoryCacheStore();
 * const [a, b] = [cache({ store, dedupe: { lock: store } }), cache({ store, dedupe: { lock: store } })];
 */
export interface MemoryCacheStore extends CacheStore, CacheLock {
  readonly name: 'memory';
  /** How many bytes the records take now, as the store counts them. */
  readonly sizeBytes: number;
}

interface Entry {
  record: CacheRecord;
  sizeBytes: number;
  expiresAtMs: number;
  /** When it was last put at the recent end of the order. */
  tick: number;
}

/**
 * A {@link CacheStore} in memory, bounded by bytes rather than entries: the least recently used
 * records go first (a record read among the more recent half keeps its place, to keep hits cheap). Records are kept as given, not copied. A record larger than `maxBytes` is not kept.
 * @example
 * const fetch = createFetch({ use: [cache({ store: memoryCacheStore({ maxBytes: 16 * 1024 * 1024 }) })] });
 */
export function memoryCacheStore({
  maxBytes = 64 * 1024 * 1024,
  clock = systemClock,
}: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  // A Map iterates in insertion order, so re-inserting a record makes it the most recently used. A read
  // re-inserts only a record in the older half of the order: hot records cost no Map churn on every hit.
  const entries = new Map<string, Entry>();
  const locks = new Map<string, number>();
  let sizeBytes = 0;
  let tick = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    sizeBytes -= entry.sizeBytes;
    entries.delete(key);
  };
  return {
    name: 'memory',
    get sizeBytes() {
      return sizeBytes;
    },
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAtMs <= clock.now()) {
        drop(key);
        return undefined;
      }
      if (tick - entry.tick > entries.size / 2) {
        entries.delete(key);
        entry.tick = ++tick;
        entries.set(key, entry);
      }
      return entry.record;
    },
    async set(key, record, options) {
      drop(key);
      // UTF-16 strings: two bytes a character.
      const size = record.body.byteLength + 2 * (key.length + JSON.stringify(record.metadata).length);
      if (size > maxBytes) return;
      const expiresAtMs = options?.ttlMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + options.ttlMs;
      entries.set(key, { record, sizeBytes: size, expiresAtMs, tick: ++tick });
      sizeBytes += size;
      for (const oldest of entries.keys()) {
        if (sizeBytes <= maxBytes) break;
        drop(oldest);
      }
    },
    async delete(key) {
      drop(key);
    },
    async acquire(key, ttlMs) {
      const nowMs = clock.now();
      if ((locks.get(key) ?? 0) > nowMs) return false;
      if (locks.size >= 1_000) for (const [held, untilMs] of locks) if (untilMs <= nowMs) locks.delete(held);
      locks.set(key, nowMs + ttlMs);
      return true;
    },
    async release(key) {
      locks.delete(key);
    },
  };
}
