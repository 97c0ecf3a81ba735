import { finishAuthorization, oauth2, startAuthorization } from '@ferrule/auth';
import {
  createFakeClock,
  createFetch,
  type FerruleEvent,
  isAuthError,
  memoryStore,
  type TokenSet,
} from '@ferrule/core';
import { createTestServer, type TestServer } from '@ferrule/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS, clientKeyPair, type OidcServer, startOidcServer } from './support/oidc-server.ts';

// A real authorization server (oidc-provider) on loopback, and an API that accepts only the access
// tokens that server issued and still considers valid.
let oidc: OidcServer;
let api: TestServer;
beforeAll(async () => {
  oidc = await startOidcServer({ clientCredentialsTtlSeconds: 30, accessTokenTtlSeconds: 60 });
  api = await createTestServer({
    '/reports/**': async (request) => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (token && (await oidc.isValid(token))) return { json: { ok: true } };
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    },
  });
});
afterAll(() => oidc?.close());

const tokenOf = (index: number) => api.requests[index]?.headers.authorization?.slice('Bearer '.length) ?? '';

describe('oauth2 against a real OAuth 2.0 server: client credentials', () => {
  it('gets a token with client_secret_basic and calls the API with it', async () => {
    const fetch = createFetch({ use: [oauth2({ tokenUrl: oidc.tokenUrl, ...CLIENTS.basic, scope: 'reports:read' })] });
    const response = await fetch(`${api.url}/reports/basic`);
    expect(response.status).toBe(200);
    expect(oidc.grants.at(-1)).toMatchObject({ grantType: 'client_credentials', clientId: CLIENTS.basic.clientId });
  });

  it('gets a token with client_secret_post (the server refuses any other method for this client)', async () => {
    const fetch = createFetch({
      use: [
        oauth2({ tokenUrl: oidc.tokenUrl, ...CLIENTS.post, clientAuth: 'client_secret_post', scope: 'reports:read' }),
      ],
    });
    expect((await fetch(`${api.url}/reports/post`)).status).toBe(200);
    expect(oidc.grants.at(-1)).toMatchObject({ grantType: 'client_credentials', clientId: CLIENTS.post.clientId });
  });

  it('gets a token with a private_key_jwt client assertion signed ES256', async () => {
    const privateKey = clientKeyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const fetch = createFetch({
      use: [
        oauth2({
          tokenUrl: oidc.tokenUrl,
          ...CLIENTS.jwt,
          privateKey,
          privateKeyAlgorithm: 'ES256',
          scope: 'reports:read',
        }),
      ],
    });
    expect((await fetch(`${api.url}/reports/jwt`)).status).toBe(200);
    expect(oidc.grants.at(-1)).toMatchObject({ grantType: 'client_credentials', clientId: CLIENTS.jwt.clientId });
  });

  it('fails with an AuthError carrying invalid_client for a bad secret, and never calls the API', async () => {
    const before = api.requests.length;
    const fetch = createFetch({
      use: [oauth2({ tokenUrl: oidc.tokenUrl, clientId: CLIENTS.basic.clientId, clientSecret: 'wrong-secret' })],
    });
    const error = await fetch(`${api.url}/reports/denied`).catch((caught: unknown) => caught);
    expect(isAuthError(error) && [error.oauthError, error.status]).toEqual(['invalid_client', 401]);
    expect(`${String(error)} ${(error as Error).stack}`).not.toContain('wrong-secret');
    expect(api.requests.length).toBe(before);
  });

  it('refreshes a short-lived token in the middle of a run of requests, before and after it expires', async () => {
    api.reset();
    const clock = createFakeClock(Date.now());
    const events: FerruleEvent[] = [];
    const fetch = createFetch({
      use: [oauth2({ tokenUrl: oidc.tokenUrl, ...CLIENTS.basic, scope: 'reports:read', refreshSkewMs: 5_000 })],
      clock,
      onEvent: (event) => events.push(event),
    });
    const granted = () => oidc.grants.filter((grant) => grant.clientId === CLIENTS.basic.clientId).length;
    const before = granted();
    // Ten calls 5 s apart over a 30 s token: the first token serves until 25 s, the second from then on.
    const statuses: number[] = [];
    for (let call = 0; call < 10; call++) {
      if (call > 0) await clock.advance(5_000);
      statuses.push((await fetch(`${api.url}/reports/run-${call}`)).status);
    }
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(granted() - before).toBe(2);
    expect(tokenOf(4)).toBe(tokenOf(0));
    expect(tokenOf(5)).not.toBe(tokenOf(4));
    expect(events.filter((event) => event.type === 'auth').map((event) => event.action)).toEqual([
      'token-fetched',
      'token-refreshed',
    ]);

    // At 45 s the second token is still fresh for the client, but the server revokes it: the next call
    // gets a 401, refreshes and is replayed once.
    await oidc.revoke(tokenOf(9));
    expect((await fetch(`${api.url}/reports/after-revoke`)).status).toBe(200);
    expect(granted() - before).toBe(3);
    expect(api.requests.slice(-2).map((request) => request.url)).toEqual([
      '/reports/after-revoke',
      '/reports/after-revoke',
    ]);
  });
});

describe('oauth2 against a real OAuth 2.0 server: authorization code with PKCE, rotating refresh tokens', () => {
  it('rotates the refresh token on every refresh, never sends an old one again, and the server rejects the old one', async () => {
    // The browser leg of a CLI login: PKCE, login and consent, back to the loopback redirect URI.
    const { url, state, codeVerifier } = await startAuthorization({
      authorizationUrl: oidc.authorizationUrl,
      clientId: CLIENTS.cli.clientId,
      redirectUri: CLIENTS.cli.redirectUri,
      scope: 'openid offline_access',
      params: { prompt: 'consent' },
    });
    const clock = createFakeClock(Date.now());
    const tokens = await finishAuthorization({
      tokenUrl: oidc.tokenUrl,
      clientId: CLIENTS.cli.clientId,
      callbackUrl: await oidc.authorize(url),
      redirectUri: CLIENTS.cli.redirectUri,
      state,
      codeVerifier,
      clock,
    });
    const firstRefreshToken = tokens.refreshToken as string;
    expect(firstRefreshToken).toEqual(expect.any(String));

    const store = memoryStore<TokenSet>();
    const fetch = createFetch({
      use: [
        oauth2({
          tokenUrl: oidc.tokenUrl,
          clientId: CLIENTS.cli.clientId,
          grant: 'refresh_token',
          tokens,
          store,
          storeKey: 'cli',
        }),
      ],
      clock,
    });
    api.reset();
    expect((await fetch(`${api.url}/reports/mine`)).status).toBe(200);
    expect(tokenOf(0)).toBe(tokens.accessToken);

    const stored: string[] = [];
    for (let round = 0; round < 2; round++) {
      await clock.advance(60_000);
      expect((await fetch(`${api.url}/reports/mine`)).status).toBe(200);
      stored.push((await store.get('cli'))?.refreshToken as string);
    }
    const refreshes = oidc.grants.filter((grant) => grant.grantType === 'refresh_token');
    expect(refreshes.map((grant) => grant.refreshToken)).toEqual([firstRefreshToken, stored[0]]);
    expect(new Set([firstRefreshToken, ...stored]).size).toBe(3);

    // The old refresh token is dead: the server refuses it (and, detecting the reuse, revokes the grant).
    const replay = await globalThis.fetch(oidc.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: firstRefreshToken,
        client_id: CLIENTS.cli.clientId,
      }),
    });
    expect([replay.status, ((await replay.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
  });
});
