import { hmac, oauth2 } from '@ferrule/auth';
import { cache, cacheStatus } from '@ferrule/cache';
import {
  type FakeClock,
  isBodyTooLargeError,
  isRateLimitedError,
  isValidationError,
  type RateLimitedError,
  type ValidationError,
} from '@ferrule/core';
import { type RateLimitOptions, rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import { createFakeClock, rateLimited } from '@ferrule/testing/vitest';
import { createClient } from '@ferrule/transport';
import { undiciFetch } from '@ferrule/transport/undici';
import { isHTTPError } from 'ky';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type CatalogApi, PRODUCTS, SIGNING_SECRET, signedPayload, startCatalogApi } from './support/catalog-api.ts';
import { limiterProbe } from './support/held-by-limiter.ts';
import { type Observed, observe } from './support/observe.ts';
import { CLIENTS, type OidcServer, startOidcServer } from './support/oidc-server.ts';

// The whole recommended stack under ky: every slot of createClient filled with the real package, against
// a real OAuth 2.0 server (oidc-provider) and a catalogue API that checks tokens, signatures and
// idempotency keys — all on 127.0.0.1.
let oidc: OidcServer;
let api: CatalogApi;
beforeAll(async () => {
  oidc = await startOidcServer({ clientCredentialsTtlSeconds: 300 });
  api = await startCatalogApi({ isValidToken: (token) => oidc.isValid(token) });
});
afterAll(() => oidc?.close());

const Product = v.object({ id: v.number(), name: v.string(), stock: v.number() });
const grants = () => oidc.grants.filter((grant) => grant.clientId === CLIENTS.basic.clientId).length;

interface ClientSetup {
  clock?: FakeClock;
  rateLimit?: RateLimitOptions;
}

// createClient with every slot, as an application would write it.
function catalogClient({
  clock,
  rateLimit: limits = { policy: tokenBucket({ ratePerSecond: 100, burst: 20 }) },
}: ClientSetup = {}) {
  const probe = clock && limiterProbe(clock);
  const observed = observe({ routes: [{ match: 'GET /v1/products/*', name: '/v1/products/{id}' }] });
  const fetch = undiciFetch({ connections: 8 });
  onTestFinished(() => fetch.close());
  const client = createClient({
    baseUrl: `${api.server.url}/v1/`,
    observability: observed.middlewares,
    cache: cache(),
    resilience: resilience({
      idempotencyKey: true,
      timeout: { attemptMs: 2_000, totalMs: 60_000 },
      retry: { backoff: { initialDelayMs: 5 } },
    }),
    rateLimit: [...(probe ? [probe.middleware] : []), rateLimit(limits)],
    auth: [
      oauth2({ tokenUrl: oidc.tokenUrl, ...CLIENTS.basic, scope: 'reports:read' }),
      hmac({
        secret: SIGNING_SECRET,
        canonical: ({ timestamp, nonce, method, url, body }) =>
          signedPayload({ timestamp: String(timestamp), nonce, method, path: url.pathname + url.search, body }),
        signatureHeader: 'x-signature',
        headers: ({ timestamp, nonce }) => ({ 'x-timestamp': String(timestamp), 'x-nonce': nonce }),
      }),
    ],
    maxBodyBytes: 64 * 1024,
    onEvent: observed.onEvent,
    fetch,
    ...(clock && { clock }),
  });
  return { client, observed, held: (count: number) => probe?.held(count) };
}

const callRecords = (observed: Observed) => observed.logs.filter((line) => line.record.attempt === undefined);

describe('the full stack under ky (createClient with every slot)', () => {
  it('serves a repeated GET from the cache: one request upstream, one token, and logs, metrics and spans tell the hit', async () => {
    api.server.reset();
    const before = grants();
    const { client, observed } = catalogClient();

    const first = await client.get('products/1');
    expect(await first.json()).toEqual(PRODUCTS[0]);
    const again = await client.get('products/1').json(Product);

    expect(again).toEqual(PRODUCTS[0]);
    expect(cacheStatus(first)).toBe('miss');
    expect(api.server.requests.map((request) => request.url)).toEqual(['/v1/products/1']);
    expect(grants() - before).toBe(1);
    expect(observed.eventsOf('cache').map((event) => event.status)).toEqual(['miss', 'stored', 'hit']);
    expect(callRecords(observed).map((line) => [line.record.status, line.record.attempts, line.record.cache])).toEqual([
      [200, 1, 'miss'],
      [200, 0, 'hit'],
    ]);
    expect(observed.stats.snapshot()).toMatchObject({ calls: 2, attempts: 1, cacheHitRatio: 0.5 });
    const spans = observed.spans();
    expect(spans.filter((span) => span.kind === 2).map((span) => span.name)).toEqual([
      'GET /v1/products/{id}',
      'GET /v1/products/{id}',
    ]);
    expect(spans.filter((span) => span.name.endsWith('attempt'))).toHaveLength(1);
  });

  it('retries a 503 with a fresh signature on every attempt, the same token, and the call span in traceparent', async () => {
    api.server.route('GET /v1/flaky', [{ status: 503 }, { status: 503 }, { json: { ok: true } }]);
    api.server.reset();
    const { client, observed } = catalogClient();

    expect(await client.get('flaky').json()).toEqual({ ok: true });

    const sent = api.server.requestsTo('GET /v1/flaky');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((request) => request.headers.authorization)).size).toBe(1);
    expect(new Set(sent.map((request) => request.headers['x-signature'])).size).toBe(3);
    expect(new Set(sent.map((request) => request.headers['x-nonce'])).size).toBe(3);
    const callSpan = observed.spans().find((span) => span.kind === 2);
    const traceparents = new Set(sent.map((request) => request.headers.traceparent));
    expect([...traceparents]).toEqual([`00-${callSpan?.spanContext().traceId}-${callSpan?.spanContext().spanId}-01`]);
    expect(callSpan?.attributes['http.request.resend_count']).toBe(2);
    expect(observed.eventsOf('retry').map((event) => [event.attempt, event.status])).toEqual([
      [2, 503],
      [3, 503],
    ]);
  });

  it('applies a POST once when its first response is lost: the retry carries the same Idempotency-Key', async () => {
    const { client, observed } = catalogClient();
    const order = { ref: 'lose-response-1', sku: 'brass-ferrule', quantity: 2 };

    const created = await client.post('orders', { json: order });

    expect(created.status).toBe(201);
    expect(created.headers.get('idempotent-replayed')).toBe('true');
    expect(await created.json()).toEqual(order);
    expect(api.applied.filter((each) => each.ref === order.ref)).toHaveLength(1);
    const keys = api.keysByRef.get(order.ref) ?? [];
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(observed.eventsOf('retry').map((event) => event.reason)).toEqual(['network']);
  });

  it('takes per-call options through ky: retry off, cache bypass, rate-limit cost, route name', async () => {
    api.server.route('GET /v1/down', { status: 503 });
    api.server.reset();
    const { client, observed } = catalogClient({
      rateLimit: { policy: tokenBucket({ ratePerSecond: 100, burst: 20 }) },
    });

    const down = await client.get('down', { ferrule: { retry: false } }).catch((error: unknown) => error);
    expect(isHTTPError(down) && down.response.status).toBe(503);
    expect(api.server.requestsTo('GET /v1/down')).toHaveLength(1);

    await client.get('products/2').json();
    await client
      .get('products/2', { ferrule: { cache: { bypass: true }, observability: { route: 'product' } } })
      .json();
    expect(api.server.requestsTo('GET /v1/products/*')).toHaveLength(2);
    expect(callRecords(observed).at(-1)?.record).toMatchObject({ route: 'product', cache: 'bypass' });

    const tooDear = await client
      .get('products/3', { ferrule: { rateLimit: { cost: 50 } } })
      .catch((error: unknown) => error);
    expect(isRateLimitedError(tooDear) && (tooDear as RateLimitedError).reason).toBe('cost-exceeds-limit');
    expect(api.server.requestsTo('GET /v1/products/*')).toHaveLength(2);
  });

  it('waits for the quota the server announces in RateLimit headers, on the client clock, and gets no 429', async () => {
    // The fake clock starts on a window boundary, so the server's reset is exactly 10 s away.
    const clock = createFakeClock(Math.ceil(Date.now() / 10_000) * 10_000);
    const limited = rateLimited({ limit: 2, windowMs: 10_000, headers: 'ietf', now: () => clock.now() });
    api.server.route('GET /v1/quota', limited);
    api.server.reset();
    // The 10 s wait is longer than the 2 s attempt limit: an attempt's clock starts when it reaches the
    // network, after the limiter let it go. The total limit (60 s) does cover the wait.
    const { client, observed, held } = catalogClient({ clock, rateLimit: {} });

    expect((await client.get('quota')).status).toBe(200);
    expect((await client.get('quota')).status).toBe(200);
    const third = client.get('quota');
    await held(3);
    await clock.advance(9_999);
    expect(api.server.requestsTo('GET /v1/quota')).toHaveLength(2);
    await clock.advance(1);
    expect((await third).status).toBe(200);

    expect(api.server.requestsTo('GET /v1/quota')).toHaveLength(3);
    expect(limited.stats).toEqual({ allowed: 3, refused: 0 });
    expect(observed.eventsOf('ratelimit').map((event) => [event.action, event.reason, event.waitMs])).toEqual([
      ['paused', 'quota-exhausted', 10_000],
      ['waited', undefined, 10_000],
    ]);
  });

  it('refreshes a revoked token and replays once, inside one attempt', async () => {
    api.server.reset();
    const { client, observed } = catalogClient();
    await client.get('products/1').json();
    const before = grants();
    await oidc.revoke(api.server.requests[0]?.headers.authorization?.slice('Bearer '.length) ?? '');

    const fresh = await client.get('products/2').json(Product);

    expect(fresh).toEqual(PRODUCTS[1]);
    expect(grants() - before).toBe(1);
    expect(api.server.requestsTo('GET /v1/products/*').map((request) => request.url)).toEqual([
      '/v1/products/1',
      '/v1/products/2',
      '/v1/products/2',
    ]);
    expect(observed.eventsOf('retry')).toEqual([]);
    const oauthEvents = observed.eventsOf('auth').filter((event) => event.scheme === 'oauth2');
    expect(oauthEvents.map((event) => event.action)).toEqual(['token-fetched', 'replayed', 'token-refreshed']);
  });

  it('fails with typed errors: a ValidationError names the path, a BodyTooLargeError the limit', async () => {
    api.server.route('GET /v1/big', { body: 'x'.repeat(100_000), headers: { 'content-type': 'text/plain' } });
    const { client } = catalogClient();

    const invalid = await client
      .get('products/1')
      .json(v.object({ id: v.string() }))
      .catch((error: unknown) => error);
    expect(isValidationError(invalid) && (invalid as ValidationError).issues.map((issue) => issue.path)).toEqual([
      'id',
    ]);
    expect(String(invalid)).not.toContain('Brass');

    const big = await client
      .get('big')
      .text()
      .catch((error: unknown) => error);
    expect(isBodyTooLargeError(big) && big.limitBytes).toBe(64 * 1024);
  });
});
