import { type CacheRecord, type CacheStore, validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { type RedisConnection, type RedisConnectionOptions, redisConnection } from './connection.ts';

/**
 * Options of {@link redisCacheStore}: those of `redisConnection`, or a `connection`, and a `prefix`.
 * @example
 * redisCacheStore({ connection, prefix: 'shop:http:' });
 */
export interface RedisCacheStoreOptions extends RedisConnectionOptions {
  /** A connection to share with other stores; the store then opens none of its own. @default a new `redisConnection(options)` */
  connection?: RedisConnection;
  /** Put before every key, so several caches (or apps) can share one Redis. @default 'ferrule:cache:' */
  prefix?: string;
}

/**
 * A cache store in Redis, shared by every process that uses the same Redis and prefix, and a lock
 * for `cache({ dedupe: { lock } })` so that those processes fetch a cold URL once between them.
 * @example
 * const store: RedisCacheStore = redisCacheStore();
 * await store.close();
 */
export interface RedisCacheStore extends CacheStore {
  readonly name: string;
  readonly connection: RedisConnection;
  /** Takes the lock on `key` for `ttlMs` unless another holder has it (`SET NX PX`). */
  acquire(key: string, ttlMs: number): Promise<boolean>;
  /** Gives back a lock this store took; a lock that expired and was taken by another is left alone. */
  release(key: string): Promise<void>;
  /** Closes the connection, when the store opened it. */
  close(): Promise<void>;
}

const RedisCacheStoreSchema = v.looseObject({
  connection: v.optional(v.looseObject({ run: v.function(), client: v.looseObject({}) })),
  prefix: v.optional(v.string()),
});

// An entry: a version byte, the metadata's length as a big-endian uint32, the metadata as JSON, the body.
const VERSION = 1;
const PREAMBLE_BYTES = 5;

function encode(record: CacheRecord): Buffer {
  const metadata = Buffer.from(JSON.stringify(record.metadata));
  const value = Buffer.alloc(PREAMBLE_BYTES + metadata.byteLength + record.body.byteLength);
  value.writeUInt8(VERSION, 0);
  value.writeUInt32BE(metadata.byteLength, 1);
  metadata.copy(value, PREAMBLE_BYTES);
  value.set(record.body, PREAMBLE_BYTES + metadata.byteLength);
  return value;
}

function decode(value: Buffer): CacheRecord | undefined {
  if (value.byteLength < PREAMBLE_BYTES || value.readUInt8(0) !== VERSION) return undefined;
  const end = PREAMBLE_BYTES + value.readUInt32BE(1);
  if (end > value.byteLength) return undefined;
  try {
    const metadata = JSON.parse(value.toString('utf8', PREAMBLE_BYTES, end)) as unknown;
    if (typeof metadata !== 'object' || metadata === null) return undefined;
    return { metadata: metadata as Record<string, unknown>, body: value.subarray(end) };
  } catch {
    return undefined;
  }
}

// Deletes the lock only if it still holds this holder's token.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/**
 * A {@link CacheStore} in Redis: expiry by Redis itself (`PX`), bodies byte for byte, keys under a
 * prefix. When Redis goes away its calls fail at once (the `cache` middleware then passes requests
 * through and reports it) and work again when Redis is back.
 * @example
 * const store = redisCacheStore({ prefix: 'shop:http:' });
 * const fetch = createFetch({ use: [cache({ store, dedupe: { lock: store } })] });
 */
export function redisCacheStore(options: RedisCacheStoreOptions = {}): RedisCacheStore {
  const { connection: given, prefix = 'ferrule:cache:', ...connectionOptions } = options;
  validateOptions(RedisCacheStoreSchema, { connection: given, prefix }, 'redisCacheStore');
  const connection = given ?? redisConnection(connectionOptions);
  const tokens = new Map<string, string>();
  const lockKey = (key: string) => `${prefix}lock:${key}`;
  return {
    name: connection.name,
    connection,
    async get(key) {
      const value = await connection.run((client) => client.getBuffer(prefix + key));
      if (value === null) return undefined;
      const record = decode(value);
      // Not an entry this store wrote: a miss, and out of the way.
      if (!record) await connection.run((client) => client.del(prefix + key));
      return record;
    },
    async set(key, record, options) {
      const ttlMs = options?.ttlMs;
      const value = encode(record);
      // A time to live under a millisecond is gone already: Redis refuses PX 0.
      await connection.run(
        (client): Promise<unknown> =>
          ttlMs === undefined
            ? client.set(prefix + key, value)
            : ttlMs < 1
              ? client.del(prefix + key)
              : client.set(prefix + key, value, 'PX', Math.ceil(ttlMs)),
      );
    },
    async delete(key) {
      await connection.run((client) => client.del(prefix + key));
    },
    async acquire(key, ttlMs) {
      const token = crypto.randomUUID();
      const taken = await connection.run((client) =>
        client.set(lockKey(key), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
      );
      if (taken === 'OK') tokens.set(key, token);
      return taken === 'OK';
    },
    async release(key) {
      const token = tokens.get(key);
      if (token === undefined) return;
      tokens.delete(key);
      await connection.run((client) => client.eval(RELEASE, 1, lockKey(key), token));
    },
    close: () => (given ? Promise.resolve() : connection.close()),
  };
}
