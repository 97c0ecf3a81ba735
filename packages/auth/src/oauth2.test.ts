import { generateKeyPairSync, verify } from 'node:crypto';
import {
  type AuthError,
  createFakeClock,
  isAuthError,
  memoryStore,
  type TokenSet,
  type TokenStore,
} from '@ferrule/core';
import {
  createTestServer,
  describeTokenStore,
  type RecordedRequest,
  type RouteSpec,
  waitForSleepers,
  waitUntil,
} from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf } from '../test/helpers.ts';
import { type OAuth2Options, oauth2 } from './oauth2.ts';

const SECRET = 'client-s3cret';
const START = Date.UTC(2025, 0, 1);

// A token endpoint that hands out token-1, token-2, … and an API that echoes the token it got.
async function setup(token: RouteSpec = (_request, { count }) => ({ json: issue(count) }), api?: RouteSpec) {
  return createTestServer({
    'POST /token': token,
    '/api/**': api ?? ((request) => ({ json: { authorization: request.headers.authorization ?? null } })),
  });
}
const issue = (count: number, extra: Record<string, unknown> = {}) => ({
  access_token: `token-${count}`,
  token_type: 'Bearer',
  expires_in: 3600,
  ...extra,
});
const form = (request: RecordedRequest | undefined) => Object.fromEntries(new URLSearchParams(request?.text()));

function connect(server: { url: string }, options: Partial<OAuth2Options> = {}) {
  const clock = createFakeClock(START);
  const middleware = oauth2({ tokenUrl: `${server.url}/token`, clientId: 'reports', clientSecret: SECRET, ...options });
  return { clock, ...client(middleware, { clock }) };
}
const tokenOf = async (response: Response) => ((await response.json()) as { authorization: string }).authorization;

describeTokenStore('memoryStore, the default store of oauth2', ({ clock }) => memoryStore<TokenSet>({ clock }));

describe('oauth2 client credentials', () => {
  it('authenticates with client_secret_basic by default and sends the token', async () => {
    const server = await setup();
    const { fetch } = connect(server, { scope: 'reports:read', audience: 'https://api.example.com' });
    expect(await tokenOf(await fetch(`${server.url}/api/reports`))).toBe('Bearer token-1');
    const tokenRequest = server.requestsTo('POST /token')[0];
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${btoa(`reports:${SECRET}`)}`);
    expect(form(tokenRequest)).toEqual({
      grant_type: 'client_credentials',
      scope: 'reports:read',
      audience: 'https://api.example.com',
    });
  });

  it('form-encodes the client id and secret before Basic, as RFC 6749 §2.3.1 says', async () => {
    const server = await setup();
    const { fetch } = connect(server, { clientId: 'team a:b', clientSecret: 'p@ss word' });
    await fetch(`${server.url}/api/x`);
    expect(server.requestsTo('POST /token')[0]?.headers.authorization).toBe(`Basic ${btoa('team+a%3Ab:p%40ss+word')}`);
  });

  it('authenticates with client_secret_post in the body', async () => {
    const server = await setup();
    const { fetch } = connect(server, { clientAuth: 'client_secret_post' });
    await fetch(`${server.url}/api/reports`);
    const tokenRequest = server.requestsTo('POST /token')[0];
    expect(tokenRequest?.headers.authorization).toBeUndefined();
    expect(form(tokenRequest)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'reports',
      client_secret: SECRET,
    });
  });

  it.each([
    ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RSA-SHA256', {}],
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'SHA256', { dsaEncoding: 'ieee-p1363' }],
  ] as const)('authenticates with private_key_jwt signed %s (RFC 7523)', async (algorithm, pair, digest, encoding) => {
    const server = await setup();
    const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const { fetch, clock } = connect(server, {
      clientSecret: undefined,
      privateKey,
      privateKeyAlgorithm: algorithm,
      privateKeyId: 'key-7',
    } as unknown as Partial<OAuth2Options>);
    await fetch(`${server.url}/api/x`);
    const body = form(server.requestsTo('POST /token')[0]);
    expect(body.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const [header = '', payload = '', signature = ''] = (body.client_assertion as string).split('.');
    const valid = verify(
      digest,
      Buffer.from(`${header}.${payload}`),
      { key: pair.publicKey, ...encoding },
      Buffer.from(signature, 'base64url'),
    );
    expect(valid).toBe(true);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({
      alg: algorithm,
      typ: 'JWT',
      kid: 'key-7',
    });
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const now = Math.floor(clock.now() / 1000);
    expect(claims).toEqual({
      iss: 'reports',
      sub: 'reports',
      aud: `${server.url}/token`,
      jti: expect.any(String),
      iat: now,
      exp: now + 60,
    });
    expect(body.client_id).toBe('reports');
  });

  it('uses one token for many calls', async () => {
    const server = await setup();
    const { fetch } = connect(server);
    for (let index = 0; index < 5; index++) await fetch(`${server.url}/api/${index}`);
    expect(server.requestsTo('POST /token')).toHaveLength(1);
  });

  it.each([
    ['refreshSkewMs before expiry', { expires_in: 3600 }, { refreshSkewMs: 30_000 }, 3_570_000],
    [
      'at half its life a token that lives shorter than twice the skew',
      { expires_in: 20 },
      { refreshSkewMs: 30_000 },
      10_000,
    ],
    [
      "by its own clock, whatever the server's Date says",
      { headers: { date: 'Sat, 01 Jan 2000 00:00:00 GMT' } },
      { refreshSkewMs: 0 },
      3_600_000,
    ],
    ['when expires_in comes as a numeric string', { expires_in: '120' }, { refreshSkewMs: 0 }, 120_000],
  ])('refreshes %s, not a millisecond earlier', async (_name, answer, options, dueMs) => {
    const { headers, ...fields } = answer as { headers?: Record<string, string> };
    const server = await setup((_request, { count }) => ({ json: issue(count, fields), ...(headers && { headers }) }));
    const { fetch, clock, authEvents } = connect(server, options);
    await fetch(`${server.url}/api/a`);
    await clock.advance(dueMs - 1);
    expect(await tokenOf(await fetch(`${server.url}/api/b`))).toBe('Bearer token-1');
    await clock.advance(1);
    expect(await tokenOf(await fetch(`${server.url}/api/c`))).toBe('Bearer token-2');
    expect(authEvents().map((event) => event.action)).toEqual(['token-fetched', 'token-refreshed']);
  });

  it('keeps a token without expires_in until the API rejects it', async () => {
    const server = await setup(
      (_request, { count }) => ({ json: { access_token: `token-${count}`, token_type: 'bearer' } }),
      (request, { count }) =>
        count === 3 ? { status: 401 } : { json: { authorization: request.headers.authorization } },
    );
    const { fetch, clock } = connect(server);
    await fetch(`${server.url}/api/a`);
    await clock.advance(365 * 24 * 3_600_000);
    expect(await tokenOf(await fetch(`${server.url}/api/b`))).toBe('Bearer token-1');
    expect(await tokenOf(await fetch(`${server.url}/api/c`))).toBe('Bearer token-2');
  });

  it('makes one token request for 100 concurrent calls with an expired token', async () => {
    const server = await setup((_request, { count }) => ({ json: issue(count), delayMs: count === 2 ? 30 : 0 }));
    const { fetch, clock } = connect(server);
    await fetch(`${server.url}/api/warm`);
    await clock.advance(3_600_000);
    const responses = await Promise.all(Array.from({ length: 100 }, (_, index) => fetch(`${server.url}/api/${index}`)));
    expect(new Set(await Promise.all(responses.map(tokenOf)))).toEqual(new Set(['Bearer token-2']));
    expect(server.requestsTo('POST /token')).toHaveLength(2);
  });

  it('fails all 100 waiting calls with the same AuthError when the token request fails, then tries again', async () => {
    const server = await setup([{ status: 500, body: 'down', delayMs: 30 }, { json: issue(2) }]);
    const { fetch } = connect(server);
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => fetch(`${server.url}/api/x`)));
    const errors = new Set(results.map((result) => (result as PromiseRejectedResult).reason));
    expect(errors.size).toBe(1);
    const [error] = errors as Set<AuthError>;
    expect(isAuthError(error) && [error.status, error.message]).toEqual([
      500,
      `Token endpoint refused: HTTP 500 (POST ${server.url}/token)`,
    ]);
    expect(server.requestsTo('/api/**')).toHaveLength(0);
    expect(await tokenOf(await fetch(`${server.url}/api/x`))).toBe('Bearer token-2');
    expect(server.requestsTo('POST /token')).toHaveLength(2);
  });

  it('lets one waiting call abort without failing the others', async () => {
    const server = await setup((_request, { count }) => ({ json: issue(count), delayMs: 50 }));
    const { fetch } = connect(server);
    const controller = new AbortController();
    const aborted = fetch(`${server.url}/api/a`, { signal: controller.signal });
    const waiting = fetch(`${server.url}/api/b`);
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    expect(await tokenOf(await waiting)).toBe('Bearer token-1');
  });

  it('gives up on a token request after tokenTimeoutMs, and not before', async () => {
    const server = await setup({ json: issue(1), delayMs: 3_000 });
    const { fetch, clock } = connect(server, { tokenTimeoutMs: 10_000 });
    const call = fetch(`${server.url}/api/x`).catch((error: unknown) => error);
    let settled = false;
    void call.then(() => {
      settled = true;
    });
    await waitUntil(() => server.requests.length === 1);
    await waitForSleepers(clock);
    await clock.advance(9_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    const error = await call;
    expect(isAuthError(error) && error.message).toBe(
      `Token request timed out after 10000 ms (POST ${server.url}/token)`,
    );
    expect(clock.pending).toBe(0);
  });
});

describe('oauth2 reactive refresh', () => {
  const staleOnce =
    (challenge?: string): RouteSpec =>
    (request, { count }) =>
      count === 1
        ? { status: 401, headers: challenge ? { 'www-authenticate': challenge } : {} }
        : { json: { authorization: request.headers.authorization, body: request.text() } };

  it('refreshes on 401 invalid_token and replays the request once, body and all', async () => {
    const server = await setup(undefined, staleOnce('Bearer error="invalid_token", error_description="expired"'));
    const { fetch, authEvents } = connect(server);
    const response = await fetch(`${server.url}/api/orders`, { method: 'POST', body: '{"sku":42}' });
    expect(await response.json()).toEqual({ authorization: 'Bearer token-2', body: '{"sku":42}' });
    expect(server.requestsTo('/api/**').map((request) => request.text())).toEqual(['{"sku":42}', '{"sku":42}']);
    expect(authEvents().map((event) => event.action)).toEqual(['token-fetched', 'replayed', 'token-refreshed']);
  });

  it('replays on a 401 without a challenge too', async () => {
    const server = await setup(undefined, staleOnce());
    const { fetch } = connect(server);
    expect(((await (await fetch(`${server.url}/api/x`)).json()) as { authorization: string }).authorization).toBe(
      'Bearer token-2',
    );
  });

  it('does not replay a 401 whose challenge names another error', async () => {
    const server = await setup(undefined, staleOnce('Bearer error="invalid_request"'));
    const { fetch } = connect(server);
    expect((await fetch(`${server.url}/api/x`)).status).toBe(401);
    expect(server.requestsTo('POST /token')).toHaveLength(1);
  });

  it('replays only once when the 401 persists, and hands that 401 back', async () => {
    const server = await setup(undefined, {
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
    const { fetch } = connect(server);
    expect((await fetch(`${server.url}/api/x`)).status).toBe(401);
    expect(server.requestsTo('/api/**')).toHaveLength(2);
    expect(server.requestsTo('POST /token')).toHaveLength(2);
  });

  it('refreshes once when many calls hit the same stale token', async () => {
    const server = await setup(undefined, (request) =>
      request.headers.authorization === 'Bearer token-1'
        ? { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }
        : { json: { authorization: request.headers.authorization } },
    );
    const { fetch } = connect(server);
    await fetch(`${server.url}/api/warm`);
    const tokens = await Promise.all(
      Array.from({ length: 20 }, async () => tokenOf(await fetch(`${server.url}/api/x`))),
    );
    expect(new Set(tokens)).toEqual(new Set(['Bearer token-2']));
    expect(server.requestsTo('POST /token')).toHaveLength(2);
  });
});

describe('oauth2 refresh token grant', () => {
  it('replaces a rotated refresh token in the store at once and never sends the old one again', async () => {
    const store = memoryStore<TokenSet>();
    const server = await setup((_request, { count }) => ({
      json: issue(count, { refresh_token: `rt-${count + 1}` }),
    }));
    const { fetch, clock } = connect(server, {
      grant: 'refresh_token',
      refreshToken: 'rt-1',
      store,
      storeKey: 'user-7',
    });
    await fetch(`${server.url}/api/a`);
    expect((await store.get('user-7'))?.refreshToken).toBe('rt-2');
    await clock.advance(3_600_000);
    await fetch(`${server.url}/api/b`);
    await clock.advance(3_600_000);
    await fetch(`${server.url}/api/c`);
    expect(server.requestsTo('POST /token').map((request) => form(request).refresh_token)).toEqual([
      'rt-1',
      'rt-2',
      'rt-3',
    ]);
    expect(form(server.requestsTo('POST /token')[0]).grant_type).toBe('refresh_token');
  });

  it('keeps the refresh token when the server does not rotate it', async () => {
    const server = await setup();
    const { fetch, clock } = connect(server, { grant: 'refresh_token', refreshToken: 'rt-1' });
    await fetch(`${server.url}/api/a`);
    await clock.advance(3_600_000);
    await fetch(`${server.url}/api/b`);
    expect(server.requestsTo('POST /token').map((request) => form(request).refresh_token)).toEqual(['rt-1', 'rt-1']);
  });

  it('starts from a token set and uses its access token until it is due', async () => {
    const server = await setup();
    const tokens = {
      accessToken: 'from-login',
      tokenType: 'Bearer',
      expiresAtMs: START + 60_000,
      refreshToken: 'rt-login',
    };
    const { fetch, clock } = connect(server, { grant: 'refresh_token', tokens, refreshSkewMs: 0 });
    expect(await tokenOf(await fetch(`${server.url}/api/a`))).toBe('Bearer from-login');
    await clock.advance(60_000);
    expect(await tokenOf(await fetch(`${server.url}/api/b`))).toBe('Bearer token-1');
    expect(form(server.requestsTo('POST /token')[0]).refresh_token).toBe('rt-login');
  });

  it('surfaces invalid_grant with its code and description, never the refresh token', async () => {
    const server = await setup({
      status: 400,
      json: { error: 'invalid_grant', error_description: 'grant request is invalid' },
    });
    const { fetch, authEvents, events } = connect(server, { grant: 'refresh_token', refreshToken: 'rt-secret-1' });
    const error = await fetch(`${server.url}/api/a`).catch((caught: unknown) => caught);
    expect(isAuthError(error) && [error.oauthError, error.oauthErrorDescription, error.status]).toEqual([
      'invalid_grant',
      'grant request is invalid',
      400,
    ]);
    expect(JSON.stringify([String(error), events])).not.toContain('rt-secret-1');
    expect(authEvents().at(-1)).toMatchObject({ action: 'token-failed', reason: 'invalid_grant' });
  });

  it('fails with an AuthError when there is no refresh token to use', async () => {
    const server = await setup();
    const { fetch } = connect(server, { grant: 'refresh_token' });
    await expect(fetch(`${server.url}/api/a`)).rejects.toThrow('oauth2: no refresh token to refresh with');
    expect(server.requests).toHaveLength(0);
  });
});

describe('oauth2 token endpoint failures', () => {
  it('surfaces invalid_client with its code, and no secret in any message or event', async () => {
    const server = await setup({
      status: 401,
      json: { error: 'invalid_client', error_description: 'client authentication failed' },
    });
    const { fetch, events, authEvents } = connect(server);
    const error = await fetch(`${server.url}/api/a`).catch((caught: unknown) => caught);
    expect(isAuthError(error) && [error.message, error.oauthError, error.status]).toEqual([
      `Token endpoint refused: invalid_client (POST ${server.url}/token)`,
      'invalid_client',
      401,
    ]);
    expect(JSON.stringify([String(error), (error as Error).stack, events])).not.toContain(SECRET);
    expect(authEvents()).toEqual([expect.objectContaining({ action: 'token-failed', reason: 'invalid_client' })]);
  });

  it.each([
    [
      'garbage JSON',
      { body: '{"access_token": "tok', headers: { 'content-type': 'application/json' } },
      'Token endpoint answered with a body that is not JSON',
    ],
    ['a JSON string', { json: 'token' }, 'Token endpoint answered with a body that is not JSON'],
    [
      'no access_token',
      { json: { token_type: 'Bearer', expires_in: 60 } },
      'Token endpoint answered without a usable access_token',
    ],
    [
      'a token with a line break',
      { json: { access_token: 'a\r\nb', token_type: 'Bearer' } },
      'Token endpoint answered without a usable access_token',
    ],
    [
      'an error in a 200',
      { json: { error: 'temporarily_unavailable' } },
      'Token endpoint refused: temporarily_unavailable',
    ],
    ['a redirect', { status: 307, headers: { location: '/elsewhere' } }, 'Token request failed'],
  ])('fails with a clear AuthError on %s', async (_name, answer, message) => {
    const server = await setup(answer);
    const { fetch } = connect(server);
    const error = await fetch(`${server.url}/api/a`).catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.message).toBe(`${message} (POST ${server.url}/token)`);
    expect(server.requestsTo('/api/**')).toHaveLength(0);
  });

  it('keeps the network error as the cause when the endpoint cannot be reached', async () => {
    const server = await setup({ reset: true });
    const { fetch } = connect(server);
    const error = await fetch(`${server.url}/api/a`).catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.message.startsWith('Token request failed')).toBe(true);
    expect((error as AuthError).cause).toBeInstanceOf(TypeError);
  });
});

describe('oauth2 token store', () => {
  it('shares a token between two clients through the store', async () => {
    const store = memoryStore<TokenSet>();
    const server = await setup();
    await connect(server, { store }).fetch(`${server.url}/api/a`);
    expect(await tokenOf(await connect(server, { store }).fetch(`${server.url}/api/b`))).toBe('Bearer token-1');
    expect(server.requestsTo('POST /token')).toHaveLength(1);
  });

  it('does not take a rejected token back from the store', async () => {
    const store = memoryStore<TokenSet>();
    const server = await setup(undefined, (request, { count }) =>
      count === 1 ? { status: 401 } : { json: { authorization: request.headers.authorization } },
    );
    expect(await tokenOf(await connect(server, { store }).fetch(`${server.url}/api/a`))).toBe('Bearer token-2');
  });

  it('keeps working when the store fails, and reports it', async () => {
    const broken: TokenStore = {
      get: () => Promise.reject(new Error('connection refused')),
      set: () => Promise.reject(new Error('connection refused')),
      delete: () => Promise.resolve(),
    };
    const server = await setup();
    const { fetch, events } = connect(server, { store: broken });
    expect(await tokenOf(await fetch(`${server.url}/api/a`))).toBe('Bearer token-1');
    expect(await tokenOf(await fetch(`${server.url}/api/b`))).toBe('Bearer token-1');
    expect(events.filter((event) => event.type === 'store')).toHaveLength(2);
  });
});

describe('oauth2 options', () => {
  it.each([
    [{ clientSecret: undefined, clientAuth: 'client_secret_post' }, 'oauth2.clientSecret'],
    [{ clientSecret: undefined, clientAuth: 'private_key_jwt' }, 'oauth2.privateKey'],
    [{ tokenUrl: '/token' }, 'oauth2.tokenUrl'],
    [{ grant: 'password' }, 'oauth2.grant'],
    [{ refreshSkewMs: -1 }, 'oauth2.refreshSkewMs'],
    [{ store: { get: 'stored' } }, 'oauth2.store.get'],
  ])('refuses %j with a ConfigError naming %s', (options, option) => {
    const error = configErrorOf(() =>
      oauth2({
        tokenUrl: 'https://auth.example.com/token',
        clientId: 'c',
        clientSecret: SECRET,
        ...options,
      } as OAuth2Options),
    );
    expect(error?.option).toBe(option);
    expect(error?.message).not.toContain(SECRET);
  });
});
