import { apiKey, hmac, oauth2 } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import type { Middleware } from '@ferrule/core';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import { createTestServer, type RecordedRequest } from '@ferrule/testing/vitest';
import { createClient } from '@ferrule/transport';
import * as v from 'valibot';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { observe } from './support/observe.ts';
import { CLIENTS, type OidcServer, startOidcServer } from './support/oidc-server.ts';

// One full-stack run that uses every kind of credential — an OAuth 2.0 client secret and the access
// tokens it buys, API keys in a header and in the query, an HMAC signing key, a password and a token in
// JSON bodies — and meets every kind of trouble: retries, a persistent 500, a 401 after a refresh, a
// stalled body, a refused connection, a cross-origin redirect, a schema mismatch. Then every log line,
// error, event, span and metric it produced is searched for each secret: there must be none.
const HEADER_KEY = 'hdr-key-5d0b7c1e9a2f4e6b';
const QUERY_KEY = 'qry-key-8e3a1f0c6b2d4a97';
const CALLER_QUERY_KEY = 'caller-key-1b9e7d3c5a0f2e48';
const HMAC_SECRET = 'hmac-secret-c4f2a9e7d1b3';
const PASSWORD = 'pw-hunter2-0a9b8c7d';
const ISSUED_TOKEN = 'issued-token-6f1e2d3c4b5a';

let oidc: OidcServer;
beforeAll(async () => {
  oidc = await startOidcServer({ clientCredentialsTtlSeconds: 300 });
});
afterAll(() => oidc?.close());

it('leaves no secret in any log line, error, event, span or metric of a full-stack run', async () => {
  const elsewhere = await createTestServer({ 'GET /landing': { json: { landed: true } } });
  const closed = await createTestServer();
  await closed.close();
  const api = await createTestServer({
    'GET /v1/items/*': { json: { id: 1, name: 'ferrule' }, headers: { 'cache-control': 'max-age=60' } },
    'GET /v1/flaky': [{ status: 503 }, { status: 503 }, { json: { ok: true } }],
    'POST /v1/login': { json: { access_token: ISSUED_TOKEN, token_type: 'Bearer' } },
    'GET /v1/broken': { status: 500, json: { error: 'boom' } },
    'GET /v1/stall': { stallAfterBytes: 4, json: { never: 'finished' } },
    'GET /v1/denied': { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
    'GET /v1/moved': { status: 302, headers: { location: `${elsewhere.url}/landing` } },
  });

  const observed = observe({ routes: [{ match: 'GET /v1/items/*', name: '/v1/items/{id}' }] });
  // Two clients of the whole stack, logging, tracing and counting into the same observers: one signs with
  // OAuth 2.0, an API key header and HMAC; one sends its API key in the query, as maps APIs want it.
  // Of stacked credential middlewares the outermost follows redirects, and the ones inside it sign every
  // hop they are handed: each inner one is kept to the API's origin with `match` (see "Found by this
  // suite" in the README).
  const stack = (auth: Middleware[]) =>
    createClient({
      baseUrl: `${api.url}/v1/`,
      observability: observed.middlewares,
      cache: cache(),
      resilience: resilience({
        idempotencyKey: true,
        timeout: { totalMs: 5_000 },
        retry: { backoff: { initialDelayMs: 5 } },
      }),
      rateLimit: rateLimit({ policy: tokenBucket({ ratePerSecond: 100, burst: 20 }) }),
      auth,
      onEvent: observed.onEvent,
    });
  const apiOnly = `${api.url}/**`;
  const client = stack([
    oauth2({ tokenUrl: oidc.tokenUrl, ...CLIENTS.basic, scope: 'reports:read' }),
    apiKey({ header: 'x-api-key', value: HEADER_KEY, match: apiOnly }),
    hmac({ keyId: 'scan-key', secret: HMAC_SECRET, match: apiOnly }),
  ]);
  const maps = stack([apiKey({ query: 'api_key', value: QUERY_KEY })]);

  const errors: unknown[] = [];
  const attempt = async (call: () => Promise<unknown>) => {
    await call().catch((error: unknown) => errors.push(error));
  };
  await attempt(() => client.get('items/1').json());
  await attempt(() => client.get('items/1').json());
  await attempt(() => client.get('flaky').json());
  await attempt(() => client.post('login', { json: { username: 'ada', password: PASSWORD } }).json());
  await attempt(() => client.get('broken').json());
  await attempt(() => client.get('stall', { ferrule: { timeout: { totalMs: 200 } } }).text());
  await attempt(() => client.get('denied').json());
  await attempt(() => client.get('items/2', { searchParams: { api_key: CALLER_QUERY_KEY } }).json());
  await attempt(() => client.get('moved').json());
  await attempt(() => client.get(`${closed.url}/nowhere`, { searchParams: { api_key: CALLER_QUERY_KEY } }).json());
  await attempt(() => client.get('items/3').json(v.object({ id: v.string() })));
  await attempt(() => maps.get('items/4').json());
  await attempt(() => maps.get('broken').json());
  await attempt(() => maps.get('moved').json());
  await attempt(() => maps.get('stall', { ferrule: { timeout: { totalMs: 200 } } }).text());

  // The secrets, as sent and as they could be derived: the access tokens the API saw, the client's
  // Basic credentials for the token endpoint.
  const tokens = new Set(
    api.requests
      .map((request: RecordedRequest) => request.headers.authorization?.replace(/^Bearer /, ''))
      .filter((token): token is string => Boolean(token)),
  );
  const basicCredentials = Buffer.from(`${CLIENTS.basic.clientId}:${CLIENTS.basic.clientSecret}`).toString('base64');
  const secrets = [
    CLIENTS.basic.clientSecret,
    basicCredentials,
    ...tokens,
    HEADER_KEY,
    QUERY_KEY,
    CALLER_QUERY_KEY,
    HMAC_SECRET,
    PASSWORD,
    ISSUED_TOKEN,
  ];

  // The run used every credential and met every kind of trouble (else the scan would prove nothing).
  expect(tokens.size).toBe(2);
  const signed = api.requests.filter((request) => request.headers.authorization !== undefined);
  const keyed = api.requests.filter((request) => request.headers.authorization === undefined);
  expect(signed.every((request) => request.headers['x-api-key'] === HEADER_KEY)).toBe(true);
  expect(signed.every((request) => request.headers.signature?.startsWith('sig1=:'))).toBe(true);
  expect(keyed.map((request) => new URL(request.url, api.url).searchParams.get('api_key'))).toEqual([
    QUERY_KEY,
    QUERY_KEY,
    QUERY_KEY,
    QUERY_KEY,
    QUERY_KEY,
    QUERY_KEY,
  ]);
  expect(errors.map((error) => (error as Error).name).sort()).toEqual([
    'HTTPError',
    'HTTPError',
    'HTTPError',
    'NetworkError',
    'TimeoutError',
    'TimeoutError',
    'ValidationError',
  ]);
  expect(observed.eventsOf('auth').filter((event) => event.action === 'withheld')).toHaveLength(2);

  // Everything the run left behind that a person or a log pipeline could read.
  const errorTexts = errors.flatMap((error) => {
    const texts: string[] = [];
    for (let current = error as { message?: string; stack?: string; cause?: unknown } | undefined; current; ) {
      texts.push(String(current), current.message ?? '', current.stack ?? '');
      current = current.cause as typeof current;
    }
    return texts;
  });
  const spans = observed.spans().map((span) =>
    JSON.stringify({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
      links: span.links,
    }),
  );
  const artifacts = {
    logs: observed.logs.map((line) => `${line.message} ${JSON.stringify(line.record)}`),
    errors: errorTexts,
    events: observed.events.map((event) => JSON.stringify(event)),
    spans,
    metrics: [JSON.stringify(observed.stats.snapshot()), observed.stats.prometheus()],
  };
  const hits = Object.entries(artifacts).flatMap(([kind, texts]) =>
    texts.flatMap((text) =>
      secrets.filter((secret) => text.includes(secret)).map((secret) => ({ kind, secret, text })),
    ),
  );

  expect(artifacts.logs.length).toBeGreaterThan(20);
  expect(artifacts.events.length).toBeGreaterThan(50);
  expect(artifacts.spans.length).toBeGreaterThan(15);
  // Bodies were logged, and redacted field by field: the scan looked where secrets would have been.
  const login = observed.logs.find((line) => line.record.url.endsWith('/login') && line.record.attempt === undefined);
  expect([login?.record.requestBody, login?.record.responseBody]).toEqual([
    '{"username":"ada","password":"[REDACTED]"}',
    '{"access_token":"[REDACTED]","token_type":"[REDACTED]"}',
  ]);
  expect(hits).toEqual([]);
  // And credentials never went to the other origin.
  expect(elsewhere.requests).toHaveLength(2);
  const leaked = JSON.stringify(elsewhere.requests.map((request) => [request.url, request.headers]));
  expect(secrets.filter((secret) => leaked.includes(secret))).toEqual([]);
  for (const request of elsewhere.requests) {
    expect(request.url).toBe('/landing');
    expect(request.headers).not.toHaveProperty('authorization');
    expect(request.headers).not.toHaveProperty('x-api-key');
  }
});
