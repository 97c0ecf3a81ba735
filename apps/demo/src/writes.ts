import { randomUUID } from 'node:crypto';
import type { CatalogueClient } from './client.ts';
import type { ProgressStep } from './progress.ts';
import { seeded } from './random.ts';
import { describe, type Recovery } from './recover.ts';
import { ProductSchema, type SyncResult } from './sync.ts';

/** What became of one write. */
export interface WriteOutcome {
  id: number;
  priceCents: number;
  /** The version the write was based on (its `If-Match`). */
  versionBefore: number;
  /** The version the API answered with; absent when the write failed. */
  versionAfter?: number;
  /** Whether the answer was the API's stored answer to an earlier attempt (`Idempotent-Replayed`). */
  replayed: boolean;
  error?: string;
}

/** Options of {@link writeUpdates}. */
export interface WriteOptions {
  client: CatalogueClient;
  /** The products as the first sync stored them. */
  synced: SyncResult;
  /** How many products get a new price. */
  count: number;
  seed: number;
  signal: AbortSignal;
  recovery: Recovery;
  progress: ProgressStep;
}

/**
 * Gives `count` products (picked by the seed) a new price with `PATCH /products/:id`. Each write
 * carries its own `Idempotency-Key`, kept across every retry of the client and every round of the
 * recovery, so the API applies it once however often it arrives; `If-Match` holds the ETag it was
 * based on, so it never overwrites a change it did not see. The client signs each attempt (RFC 9421).
 * @example
 * const outcomes = await writeUpdates({ client, synced, count: 5, seed: 1, signal, recovery, progress });
 */
export async function writeUpdates(options: WriteOptions): Promise<WriteOutcome[]> {
  const { client, synced, signal, recovery, progress } = options;
  const random = seeded(options.seed, 'writes');
  const pool = [...synced.products.keys()].sort((a, b) => a - b);
  const picked: number[] = [];
  while (picked.length < Math.min(options.count, pool.length)) {
    const [id] = pool.splice(random.int(0, pool.length - 1), 1);
    picked.push(id as number);
  }
  const plans = picked.map((id) => ({ id, priceCents: random.int(49, 9_999), key: `"${randomUUID()}"` }));
  return Promise.all(
    plans.map(async ({ id, priceCents, key }): Promise<WriteOutcome> => {
      const { product, etag } = synced.products.get(id) as NonNullable<ReturnType<typeof synced.products.get>>;
      const outcome: WriteOutcome = { id, priceCents, versionBefore: product.version, replayed: false };
      try {
        const [response, written] = await recovery.run(() => {
          const call = client.api.patch(`products/${id}`, {
            json: { priceCents },
            headers: { 'idempotency-key': key, ...(etag && { 'if-match': etag }) },
            signal,
            // Writes go ahead of the reads waiting for the limiter.
            ferrule: { rateLimit: { priority: 10 } },
          });
          return Promise.all([call, call.json(ProductSchema)]);
        });
        outcome.versionAfter = written.version;
        outcome.replayed = response.headers.get('idempotent-replayed') === 'true';
      } catch (error) {
        outcome.error = describe(error);
      }
      progress.increment();
      return outcome;
    }),
  );
}
