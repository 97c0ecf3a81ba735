import type { FerruleEvent } from '@ferrule/core';
import { cursor, linkHeader, type Page, paginate } from '@ferrule/pagination';
import * as v from 'valibot';
import type { CatalogueClient } from './client.ts';
import type { ProgressStep } from './progress.ts';
import { describe, type Recovery } from './recover.ts';
import { workPool } from './work-pool.ts';

/** A product as the client validates it. */
export const ProductSchema = v.object({
  id: v.pipe(v.number(), v.integer()),
  sku: v.string(),
  name: v.string(),
  category: v.string(),
  priceCents: v.pipe(v.number(), v.integer()),
  stock: v.pipe(v.number(), v.integer()),
  version: v.pipe(v.number(), v.integer()),
  updatedAt: v.string(),
});
/** A product as the sync stores it. */
export type SyncedProduct = v.InferOutput<typeof ProductSchema>;

const SummarySchema = v.object({ id: v.pipe(v.number(), v.integer()), version: v.number() });
const CategorySchema = v.object({ id: v.string(), name: v.string() });
/** A category as the sync stores it. */
export type SyncedCategory = v.InferOutput<typeof CategorySchema>;

/** What one sync of the catalogue brought back. */
export interface SyncResult {
  /** Each product as last stored, with the ETag it came with. */
  products: Map<number, { product: SyncedProduct; etag: string | null }>;
  /** How often each product id was listed, and stored. */
  listed: Map<number, number>;
  stored: Map<number, number>;
  categories: Map<string, SyncedCategory>;
  categoriesListed: Map<string, number>;
  /** The totals the API reported: `total` of the product list, `X-Total-Count` of the categories. */
  reported: { products?: number; categories?: number };
  /** Items and pages that could not be synced, even by the sync loop's recovery. */
  failures: string[];
}

/** Options of {@link syncCatalogue}. */
export interface SyncOptions {
  client: CatalogueClient;
  baseUrl: string;
  signal: AbortSignal;
  recovery: Recovery;
  progress: ProgressStep;
  /** Receives the `pagination` events. */
  onEvent: (event: FerruleEvent) => void;
  /** Product details fetched at once (the client's limiter still decides when each goes). @default 16 */
  concurrency?: number;
}

const count = <Key>(map: Map<Key, number>, key: Key) => {
  const seen = (map.get(key) ?? 0) + 1;
  map.set(key, seen);
  return seen;
};

// Iterates a paginator to its end; after a failure the recovery iterates it again, and it goes on from
// the page that failed (a paginator resumes where its last iteration stopped).
async function drain<Item>(pages: AsyncIterable<Page<Item>>, recovery: Recovery, onPage: (page: Page<Item>) => void) {
  await recovery.run(async () => {
    for await (const page of pages) onPage(page);
  });
}

/**
 * Syncs the whole catalogue: categories through RFC 8288 `Link` pagination, product summaries through
 * cursor pagination, and each product's details concurrently as its summary arrives. Every call goes
 * through the client (cache, retries, rate limit, auth); what the client gives up on, the recovery
 * tries again later. Nothing is stored twice: a product listed twice is counted, not fetched again.
 * @example
 * const result = await syncCatalogue({ client, baseUrl, signal, recovery, progress, onEvent });
 */
export async function syncCatalogue(options: SyncOptions): Promise<SyncResult> {
  const { client, baseUrl, signal, recovery, progress, onEvent } = options;
  const result: SyncResult = {
    products: new Map(),
    listed: new Map(),
    stored: new Map(),
    categories: new Map(),
    categoriesListed: new Map(),
    reported: {},
    failures: [],
  };
  const categories = paginate(client.fetch, new URL('categories?per_page=5', baseUrl), {
    strategy: linkHeader(),
    schema: CategorySchema,
    signal,
    onEvent,
  });
  await drain(categories, recovery, (page) => {
    const total = Number(page.response.headers.get('x-total-count') ?? Number.NaN);
    if (Number.isSafeInteger(total)) result.reported.categories = total;
    for (const category of page.items) {
      if (count(result.categoriesListed, category.id) === 1) result.categories.set(category.id, category);
    }
  }).catch((error: unknown) => result.failures.push(`categories: ${describe(error)}`));

  const details = workPool(options.concurrency ?? 16, async (id: number) => {
    try {
      const fetched = await recovery.run(() => {
        const call = client.api.get(`products/${id}`, { signal });
        return Promise.all([call, call.json(ProductSchema)]);
      });
      const [response, product] = fetched;
      result.products.set(id, { product, etag: response.headers.get('etag') });
      count(result.stored, id);
      progress.increment();
    } catch (error) {
      result.failures.push(`product ${id}: ${describe(error)}`);
    }
  });
  const summaries = paginate(client.fetch, new URL('products?limit=25', baseUrl), {
    strategy: cursor({ param: 'cursor', next: 'next_cursor' }),
    items: 'data',
    schema: SummarySchema,
    concurrency: 2,
    signal,
    onEvent,
  });
  await drain(summaries, recovery, (page) => {
    const total = (page.body as { total?: unknown } | undefined)?.total;
    if (typeof total === 'number' && result.reported.products === undefined) {
      result.reported.products = total;
      progress.setTotal(total);
    }
    for (const { id } of page.items) if (count(result.listed, id) === 1) details.add(id);
  }).catch((error: unknown) => result.failures.push(`product list: ${describe(error)}`));
  await details.drain();
  return result;
}
