export { cache } from './cache.ts';
export type { StoredResponse } from './freshness.ts';
export { type MemoryCacheStore, type MemoryCacheStoreOptions, memoryCacheStore } from './memory-store.ts';
export type { CacheCallOptions, CacheLock, CacheOptions, CacheRule, DedupeOptions } from './options.ts';
export { cacheStatus } from './stored-response.ts';
// The Cache-Control parser, freshness arithmetic and key layout stay internal: the middleware is the API.
