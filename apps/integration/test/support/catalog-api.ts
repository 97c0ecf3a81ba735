import { verifyWebhook } from '@ferrule/auth';
import type { RecordedRequest, ResponseSpec, RouteSpec, TestServer } from '@ferrule/testing';
import { createTestServer } from '@ferrule/testing/vitest';

/** The shared HMAC secret of the catalogue's writes (a test value). */
export const SIGNING_SECRET = 'catalog-signing-secret-6b1f';

/** A product of the catalogue. */
export interface Product {
  id: number;
  name: string;
  stock: number;
}

/** The catalogue's data. */
export const PRODUCTS: readonly Product[] = [
  { id: 1, name: 'Brass ferrule', stock: 318 },
  { id: 2, name: 'Steel ferrule', stock: 12 },
  { id: 3, name: 'Copper ferrule', stock: 0 },
];

/** An order the API has applied. */
export interface Order {
  ref: string;
  sku: string;
  quantity: number;
}

/** The catalogue server and what it saw. */
export interface CatalogApi {
  server: TestServer;
  /** Orders the API applied, in order: each key should appear once. */
  applied: Order[];
  /** Idempotency keys of the POSTs received, per order ref. */
  keysByRef: Map<string, string[]>;
  /** Signatures of every signed request received, in order. */
  signatures: string[];
}

/** Options of {@link startCatalogApi}. */
export interface CatalogApiOptions {
  /** Whether an access token is valid (the OAuth 2.0 server's view). */
  isValidToken: (token: string) => Promise<boolean>;
  /** More routes (they win over the catalogue's own). */
  routes?: Record<string, RouteSpec>;
}

const decoder = new TextDecoder();

/**
 * The signed-request profile both sides agree on: HMAC-SHA256 (hex) over
 * `timestamp.nonce.METHOD path.body`, with the timestamp and nonce in headers.
 */
export const signedPayload = (parts: {
  timestamp: string;
  nonce: string;
  method: string;
  path: string;
  body: string;
}) => `${parts.timestamp}.${parts.nonce}.${parts.method} ${parts.path}.${parts.body}`;

/**
 * A small product catalogue on 127.0.0.1: every request needs a valid OAuth 2.0 access token and an HMAC
 * signature (checked with `verifyWebhook` of `@ferrule/auth`), products carry ETags and `max-age`, and
 * POST /v1/orders honours `Idempotency-Key` — it answers a repeated key with the stored order, without
 * applying it again. An order whose `ref` starts with `lose-response` is applied and then its connection
 * is dropped before the answer, as a lost response would be.
 * @example
 * const api = await startCatalogApi({ isValidToken: (token) => oidc.isValid(token) });
 */
export async function startCatalogApi({ isValidToken, routes = {} }: CatalogApiOptions): Promise<CatalogApi> {
  const applied: Order[] = [];
  const keysByRef = new Map<string, string[]>();
  const byKey = new Map<string, Order>();
  const signatures: string[] = [];

  // Answers 401 without a valid token, 403 without a valid signature; undefined when both are good.
  async function refuse(request: RecordedRequest): Promise<ResponseSpec | undefined> {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !(await isValidToken(token))) {
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    }
    const path = request.url;
    const verify = verifyWebhook({
      style: 'hmac',
      secret: SIGNING_SECRET,
      header: 'x-signature',
      timestampHeader: 'x-timestamp',
      payload: ({ body, timestamp, header }) =>
        signedPayload({
          timestamp: timestamp ?? '',
          nonce: header('x-nonce') ?? '',
          method: request.method,
          path,
          body: decoder.decode(body),
        }),
    });
    const verified = await verify({ headers: request.headers, body: request.body });
    if (!verified.valid) return { status: 403, json: { error: verified.reason } };
    signatures.push(request.headers['x-signature'] ?? '');
    return undefined;
  }

  const server = await createTestServer({
    ...routes,
    'GET /v1/products/*': async (request) => {
      const refused = await refuse(request);
      if (refused) return refused;
      const product = PRODUCTS.find((each) => request.url === `/v1/products/${each.id}`);
      if (!product) return { status: 404, json: { error: 'no such product' } };
      return { json: product, etag: `"product-${product.id}-v1"`, headers: { 'cache-control': 'max-age=60' } };
    },
    'POST /v1/orders': async (request) => {
      const refused = await refuse(request);
      if (refused) return refused;
      const key = request.headers['idempotency-key'];
      if (!key) return { status: 400, json: { error: 'Idempotency-Key required' } };
      const { ref, sku, quantity } = request.json() as Order;
      keysByRef.set(ref, [...(keysByRef.get(ref) ?? []), key]);
      const known = byKey.get(key);
      if (known) return { status: 201, headers: { 'idempotent-replayed': 'true' }, json: known };
      const order = { ref, sku, quantity };
      byKey.set(key, order);
      applied.push(order);
      // An order whose ref asks for it is applied, but its response is lost: the connection drops.
      if (ref.startsWith('lose-response')) return { reset: true };
      return { status: 201, json: order };
    },
  });
  return { server, applied, keysByRef, signatures };
}
