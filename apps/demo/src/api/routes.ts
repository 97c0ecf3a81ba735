import { createHash } from 'node:crypto';
import type { Clock } from '@ferrule/core';
import type { RecordedRequest, ResponseSpec } from '@ferrule/testing';
import * as v from 'valibot';
import type { Catalogue, Category, Product } from './catalogue.ts';

/** The catalogue's read and write handlers, over the data they change. */
export interface CatalogueRoutes {
  /** `GET /products?limit=&cursor=`: product summaries, cursor-paginated (keyset, by id). */
  listProducts(request: RecordedRequest): ResponseSpec;
  /** `GET /categories?page=&per_page=`: categories, paginated with RFC 8288 `Link` headers. */
  listCategories(request: RecordedRequest, origin: string): ResponseSpec;
  /** `GET /products/:id`: a product, with a strong ETag of its version. */
  getProduct(request: RecordedRequest): ResponseSpec;
  /** `PATCH /products/:id`: a JSON merge patch of `priceCents` and `stock`, honouring `If-Match`. */
  patchProduct(request: RecordedRequest): ResponseSpec;
  /** A copy of the data as it stands. */
  snapshot(): Catalogue;
  /** How many writes changed a product. */
  readonly stats: { writesApplied: number };
}

const PatchSchema = v.pipe(
  v.strictObject({
    priceCents: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10_000_000))),
    stock: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000))),
  }),
  v.check((patch) => Object.keys(patch).length > 0, 'a patch of priceCents or stock'),
);

const error = (status: number, message: string, headers: Record<string, string> = {}): ResponseSpec => ({
  status,
  headers,
  json: { error: message },
});

const etagOf = (body: unknown) =>
  `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22)}"`;
const productEtag = (product: Product) => `"p${product.id}-v${product.version}"`;

const queryOf = (request: RecordedRequest) => new URL(request.url, 'http://catalogue.invalid').searchParams;

// A query parameter as a whole number in [min, max], its default when absent, `undefined` when bad.
function count(query: URLSearchParams, name: string, fallback: number, min: number, max: number) {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  return /^\d+$/.test(text) && value >= min && value <= max ? value : undefined;
}

// Opaque cursors: the id after which the next page starts, in base64url JSON.
const encodeCursor = (afterId: number) => Buffer.from(JSON.stringify({ after: afterId })).toString('base64url');
function decodeCursor(cursor: string | null): number | undefined {
  if (cursor === null) return 0;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    return Number.isSafeInteger(after) && (after as number) >= 0 ? (after as number) : undefined;
  } catch {
    return undefined;
  }
}

function linkHeader(origin: string, page: number, perPage: number, lastPage: number): string {
  const link = (target: number, rel: string) =>
    `<${origin}/categories?page=${target}&per_page=${perPage}>; rel="${rel}"`;
  const links = [link(1, 'first'), link(lastPage, 'last')];
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'));
  return links.join(', ');
}

/**
 * The catalogue's handlers. List pages and products carry ETags and `Cache-Control: no-cache` (a
 * cache must revalidate them: 304 when nothing changed); category pages may be kept for 60 s.
 * @example
 * const routes = catalogueRoutes(createCatalogue(200, 1), systemClock);
 */
export function catalogueRoutes(catalogue: Catalogue, clock: Clock): CatalogueRoutes {
  const products = new Map(catalogue.products.map((product) => [product.id, { ...product }]));
  const categories: Category[] = catalogue.categories.map((category) => ({ ...category }));
  const sorted = [...products.values()].sort((a, b) => a.id - b.id);
  const stats = { writesApplied: 0 };
  const productOf = (request: RecordedRequest) =>
    products.get(Number(/^\/products\/(\d+)(?:\?|$)/.exec(request.url)?.[1]));

  return {
    stats,
    listProducts(request) {
      const query = queryOf(request);
      const limit = count(query, 'limit', 25, 1, 100);
      const after = decodeCursor(query.get('cursor'));
      if (limit === undefined) return error(400, 'limit must be a whole number from 1 to 100');
      if (after === undefined) return error(400, 'invalid cursor');
      const start = sorted.findIndex((product) => product.id > after);
      const page = start < 0 ? [] : sorted.slice(start, start + limit);
      const last = page.at(-1);
      const more = last !== undefined && last.id < (sorted.at(-1)?.id ?? 0);
      const body = {
        data: page.map(({ id, sku, name, version }) => ({ id, sku, name, version })),
        next_cursor: more ? encodeCursor(last.id) : null,
        total: sorted.length,
      };
      return { json: body, etag: etagOf(body), headers: { 'cache-control': 'no-cache' } };
    },
    listCategories(request, origin) {
      const query = queryOf(request);
      const page = count(query, 'page', 1, 1, 1_000_000);
      const perPage = count(query, 'per_page', 5, 1, 100);
      if (page === undefined || perPage === undefined) return error(400, 'page and per_page must be whole numbers');
      const lastPage = Math.max(1, Math.ceil(categories.length / perPage));
      const body = categories.slice((page - 1) * perPage, page * perPage);
      const headers = {
        link: linkHeader(origin, page, perPage, lastPage),
        'x-total-count': String(categories.length),
        'cache-control': 'max-age=60',
      };
      return { json: body, etag: etagOf(body), headers };
    },
    getProduct(request) {
      const product = productOf(request);
      if (!product) return error(404, 'no such product');
      return { json: product, etag: productEtag(product), headers: { 'cache-control': 'no-cache' } };
    },
    patchProduct(request) {
      const product = productOf(request);
      if (!product) return error(404, 'no such product');
      if (!/^application\/(merge-patch\+)?json\b/.test(request.headers['content-type'] ?? '')) {
        return error(415, 'send application/merge-patch+json or application/json');
      }
      // RFC 9110 §13.1.1: If-Match compares strongly; a stale ETag means a lost update.
      const ifMatch = request.headers['if-match'];
      const etag = productEtag(product);
      if (ifMatch !== undefined && ifMatch.trim() !== '*' && !ifMatch.split(',').some((tag) => tag.trim() === etag)) {
        return error(412, 'the product changed since that ETag', { etag });
      }
      let patch: v.InferOutput<typeof PatchSchema>;
      try {
        patch = v.parse(PatchSchema, JSON.parse(request.text()));
      } catch {
        return error(422, 'the patch must set priceCents or stock to a whole number');
      }
      Object.assign(product, patch, { version: product.version + 1, updatedAt: new Date(clock.now()).toISOString() });
      stats.writesApplied++;
      return { json: product, headers: { etag: productEtag(product) } };
    },
    snapshot: () => ({
      products: sorted.map((product) => ({ ...product })),
      categories: categories.map((category) => ({ ...category })),
    }),
  };
}
