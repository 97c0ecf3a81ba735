import { generateKeyPairSync } from 'node:crypto';
import { isAuthError, type Middleware } from '@ferrule/core';
import { createTestServer, type RecordedRequest, type TestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, recorder } from '../test/helpers.ts';
import { apiKey } from './api-key.ts';
import { awsSigV4 } from './aws-sig-v4.ts';
import { basic } from './basic.ts';
import { bearer } from './bearer.ts';
import { hmac } from './hmac.ts';
import { jwtBearer } from './jwt-bearer.ts';
import { oauth2 } from './oauth2.ts';

const SECRET = 'sup3r-s3cret-value';
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

// Each credential type, and where a server would see it: header names, or a query parameter.
const schemes: [string, (home: TestServer) => Middleware, (request: RecordedRequest) => boolean][] = [
  ['apiKey in a header', () => apiKey({ value: SECRET }), (request) => 'x-api-key' in request.headers],
  [
    'apiKey in the query',
    () => apiKey({ query: 'api_key', value: SECRET }),
    (request) => request.url.includes('api_key'),
  ],
  ['bearer', () => bearer(SECRET), (request) => 'authorization' in request.headers],
  ['basic', () => basic({ username: 'ada', password: SECRET }), (request) => 'authorization' in request.headers],
  [
    'oauth2',
    (home) => oauth2({ tokenUrl: `${home.url}/token`, clientId: 'app', clientSecret: SECRET }),
    (request) => 'authorization' in request.headers,
  ],
  [
    'jwtBearer',
    () => jwtBearer({ algorithm: 'RS256', key: rsaKey, claims: { iss: '42' } }),
    (request) => 'authorization' in request.headers,
  ],
  ['hmac', () => hmac({ keyId: 'k1', secret: SECRET }), (request) => 'signature' in request.headers],
  [
    'awsSigV4',
    () =>
      awsSigV4({
        region: 'eu-west-1',
        service: 'execute-api',
        accessKeyId: 'AKID',
        secretAccessKey: SECRET,
        sessionToken: 'session',
      }),
    (request) => ['authorization', 'x-amz-date', 'x-amz-security-token'].some((name) => name in request.headers),
  ],
];

const servers = async () => {
  const away = await createTestServer({ 'GET /landing': { json: { landed: true } }, 'POST /landing': { json: {} } });
  const home = await createTestServer({
    'POST /token': { json: { access_token: 'token-1', token_type: 'Bearer', expires_in: 3600 } },
    'GET /start': { status: 302, headers: { location: `${away.url}/landing` } },
    'GET /here': { status: 301, headers: { location: '/there' } },
    'GET /there': { json: { here: true } },
  });
  return { home, away };
};

describe.each(schemes)('%s and redirects', (_name, make, carries) => {
  it('withholds the credential from another origin and reports it', async () => {
    const { home, away } = await servers();
    const { fetch, authEvents } = client(make(home));
    const response = await fetch(`${home.url}/start`);
    expect(await response.json()).toEqual({ landed: true });
    expect(carries(home.requestsTo('GET /start')[0] as RecordedRequest)).toBe(true);
    const landed = away.requests[0] as RecordedRequest;
    expect(carries(landed)).toBe(false);
    expect(JSON.stringify(landed)).not.toContain(SECRET);
    expect(authEvents()).toContainEqual(
      expect.objectContaining({ action: 'withheld', reason: 'cross-origin redirect' }),
    );
  });

  it('keeps the credential on a same-origin redirect', async () => {
    const { home } = await servers();
    const { fetch } = client(make(home));
    const response = await fetch(`${home.url}/here`);
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${home.url}/there`);
    expect(carries(home.requestsTo('GET /there')[0] as RecordedRequest)).toBe(true);
  });
});

describe('credentials and redirects', () => {
  it('sends the credential to an allowed origin', async () => {
    const { home, away } = await servers();
    const { fetch } = client(bearer(SECRET, { allowedOrigins: [away.url] }));
    await fetch(`${home.url}/start`);
    expect(away.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('never signs again once the chain has left the allowed origins', async () => {
    const { home, away } = await servers();
    away.route('GET /landing', { status: 302, headers: { location: `${home.url}/there` } });
    const { fetch } = client(bearer(SECRET));
    const response = await fetch(`${home.url}/start`);
    expect(await response.json()).toEqual({ here: true });
    expect(home.requestsTo('GET /there')[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps the key from another origin when a layer above sends the same request twice', async () => {
    const { home, away } = await servers();
    let first = true;
    home.route('GET /flaky', () => {
      if (!first) return { status: 302, headers: { location: `${away.url}/landing` } };
      first = false;
      return { status: 503 };
    });
    // A retry of a bodyless request hands on the same request object to each attempt.
    const twice: Middleware = async (request, context, next) => {
      await (await next(request, context)).arrayBuffer();
      return next(request, { ...context, attempt: 2 });
    };
    const { fetch } = client([twice, apiKey({ header: 'x-shop-key', value: SECRET })]);
    const response = await fetch(`${home.url}/flaky`);
    expect(await response.json()).toEqual({ landed: true });
    expect(home.requests.map((request) => request.headers['x-shop-key'])).toEqual([SECRET, SECRET]);
    expect(away.requests[0]?.headers).not.toHaveProperty('x-shop-key');
    expect(JSON.stringify(away.requests)).not.toContain(SECRET);
  });

  it("strips the caller's own Authorization and Cookie on a cross-origin hop, as fetch does", async () => {
    const { home, away } = await servers();
    const { fetch } = client(apiKey({ value: SECRET }));
    await fetch(`${home.url}/start`, {
      headers: { authorization: 'Bearer mine', cookie: 'session=1', 'x-trace': 'kept' },
    });
    expect(away.requests[0]?.headers).not.toHaveProperty('authorization');
    expect(away.requests[0]?.headers).not.toHaveProperty('cookie');
    expect(away.requests[0]?.headers['x-trace']).toBe('kept');
  });

  it('turns a POST into a body-less GET on 303, and keeps method and body on 307', async () => {
    const server = await createTestServer({
      'POST /see-other': { status: 303, headers: { location: '/result' } },
      'POST /temporary': { status: 307, headers: { location: '/result' } },
      '/result': (request) => ({
        json: { method: request.method, body: request.text(), type: request.headers['content-type'] ?? null },
      }),
    });
    const { fetch } = client(bearer(SECRET));
    const init = { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } };
    expect(await (await fetch(`${server.url}/see-other`, init)).json()).toEqual({
      method: 'GET',
      body: '',
      type: null,
    });
    expect(await (await fetch(`${server.url}/temporary`, init)).json()).toEqual({
      method: 'POST',
      body: '{"n":1}',
      type: 'application/json',
    });
    expect(server.requestsTo('/result').every((request) => request.headers.authorization === `Bearer ${SECRET}`)).toBe(
      true,
    );
  });

  it('rewrites POST to GET on 301 and 302, but keeps PUT', async () => {
    const server = await createTestServer({
      '/moved': { status: 301, headers: { location: '/result' } },
      '/found': { status: 302, headers: { location: '/result' } },
      '/result': (request) => ({ json: request.method }),
    });
    const { fetch } = client(bearer(SECRET));
    expect(await (await fetch(`${server.url}/moved`, { method: 'POST', body: 'x' })).json()).toBe('GET');
    expect(await (await fetch(`${server.url}/found`, { method: 'POST', body: 'x' })).json()).toBe('GET');
    expect(await (await fetch(`${server.url}/found`, { method: 'PUT', body: 'x' })).json()).toBe('PUT');
  });

  it('fails with a TypeError after maxRedirects, like fetch', async () => {
    const server = await createTestServer({ '/loop': { status: 302, headers: { location: '/loop' } } });
    const { fetch } = client(bearer(SECRET, { maxRedirects: 3 }));
    await expect(fetch(`${server.url}/loop`)).rejects.toThrow(new TypeError('Redirect count exceeded (3)'));
    expect(server.requests).toHaveLength(4);
  });

  it('refuses a redirect to a URL that is not HTTP', async () => {
    const server = await createTestServer({
      '/ftp': { status: 302, headers: { location: 'ftp://files.example.com/x' } },
    });
    const { fetch } = client(bearer(SECRET));
    await expect(fetch(`${server.url}/ftp`)).rejects.toThrow(TypeError);
  });

  it("leaves redirect: 'manual' to the caller and hands the 3xx back", async () => {
    const { home, away } = await servers();
    const { fetch } = client(bearer(SECRET));
    const response = await fetch(`${home.url}/start`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(away.requests).toHaveLength(0);
  });

  it("lets redirect: 'error' fail the call without reaching the other origin", async () => {
    const { home, away } = await servers();
    const { fetch } = client(bearer(SECRET));
    await expect(fetch(`${home.url}/start`, { redirect: 'error' })).rejects.toThrow(TypeError);
    expect(away.requests).toHaveLength(0);
  });

  it('answers a 3xx without Location as it is', async () => {
    const server = await createTestServer({ '/odd': { status: 302 } });
    const { fetch } = client(bearer(SECRET));
    expect((await fetch(`${server.url}/odd`)).status).toBe(302);
  });
});

describe('which requests get a credential', () => {
  it('skips a call with { auth: { skip: true } }', async () => {
    const { fetch, requests } = recorder();
    await client(bearer(SECRET), { fetch }).fetch('https://api.example.com/public', {
      ferrule: { auth: { skip: true } },
    });
    expect(requests[0]?.headers.has('authorization')).toBe(false);
  });

  it('sends the credential only to requests that match', async () => {
    const { fetch, requests } = recorder();
    const api = client(bearer(SECRET, { match: 'https://api.example.com/**' }), { fetch });
    await api.fetch('https://api.example.com/v1/items');
    await api.fetch('https://cdn.example.com/logo.png');
    expect(requests.map((request) => request.headers.get('authorization'))).toEqual([`Bearer ${SECRET}`, null]);
  });

  it("never changes the caller's Request", async () => {
    const { fetch } = recorder();
    const mine = new Request('https://api.example.com/items', { headers: { accept: 'application/json' } });
    await client(bearer(SECRET), { fetch }).fetch(mine);
    expect([...mine.headers]).toEqual([['accept', 'application/json']]);
  });
});

describe('credential providers', () => {
  it('fails with an AuthError that holds neither the value nor a line break', async () => {
    const { fetch, requests } = recorder();
    const injected = `${SECRET}\r\nx-evil: 1`;
    const error = await client(
      bearer(() => injected),
      { fetch },
    )
      .fetch('https://api.example.com/items')
      .catch((caught: unknown) => caught);
    expect(isAuthError(error)).toBe(true);
    expect(String((error as Error).message)).not.toContain(SECRET);
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['a bearer token provider', () => bearer(() => new Promise<string>(() => {}))],
    ['an API key provider in the query', () => apiKey({ query: 'key', value: () => new Promise<string>(() => {}) })],
    [
      'an AWS credentials provider',
      () => awsSigV4({ region: 'us-east-1', service: 's3', credentials: () => new Promise<never>(() => {}) }),
    ],
  ])('stops at once when the call is aborted while %s hangs', async (_name, make) => {
    const { fetch, requests } = recorder();
    const controller = new AbortController();
    const call = client(make(), { fetch }).fetch('https://api.example.com/items', { signal: controller.signal });
    controller.abort(new Error('user cancelled'));
    await expect(call).rejects.toThrow('user cancelled');
    expect(requests).toHaveLength(0);
  });

  it('keeps the cause when a provider throws', async () => {
    const cause = new Error('vault sealed');
    const error = await client(
      bearer(() => Promise.reject(cause)),
      { fetch: recorder().fetch },
    )
      .fetch('https://api.example.com/items')
      .catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.cause).toBe(cause);
    expect((error as Error).message).toBe(
      'bearer: the credential provider gave no usable value (GET https://api.example.com/items)',
    );
  });
});
