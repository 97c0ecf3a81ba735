export { type RedisCacheStore, type RedisCacheStoreOptions, redisCacheStore } from './cache-store.ts';
export { type RedisConnection, type RedisConnectionOptions, redisConnection, type StoreEvent } from './connection.ts';
export { type RedisRateLimitStore, type RedisRateLimitStoreOptions, redisRateLimitStore } from './rate-limit-store.ts';
