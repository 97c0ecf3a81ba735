import { createHash } from 'node:crypto';
import { createFakeClock, isAuthError, isConfigError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { finishAuthorization, startAuthorization } from './authorization-code.ts';

const START = Date.UTC(2025, 2, 3);
const redirectUri = 'http://127.0.0.1:8765/callback';

describe('startAuthorization', () => {
  it('builds the authorization URL with an S256 PKCE challenge of a fresh verifier', async () => {
    const { url, state, codeVerifier } = await startAuthorization({
      authorizationUrl: 'https://auth.example.com/authorize?tenant=acme',
      clientId: 'cli',
      redirectUri,
      scope: 'openid offline_access',
      params: { prompt: 'consent' },
    });
    const query = new URL(url).searchParams;
    expect(Object.fromEntries(query)).toEqual({
      tenant: 'acme',
      response_type: 'code',
      client_id: 'cli',
      redirect_uri: redirectUri,
      scope: 'openid offline_access',
      state,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      prompt: 'consent',
    });
    // RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
    expect(codeVerifier).toMatch(/^[\w-]{43}$/);
    const again = await startAuthorization({
      authorizationUrl: 'https://auth.example.com/authorize',
      clientId: 'cli',
      redirectUri,
    });
    expect([again.state, again.codeVerifier]).not.toContain(state);
    expect(again.codeVerifier).not.toBe(codeVerifier);
  });

  it('refuses a relative authorization URL with a ConfigError', async () => {
    await expect(
      startAuthorization({ authorizationUrl: '/authorize', clientId: 'cli', redirectUri }),
    ).rejects.toSatisfy((error) => isConfigError(error) && error.option === 'startAuthorization.authorizationUrl');
  });
});

describe('finishAuthorization', () => {
  const tokenServer = () =>
    createTestServer({
      'POST /token': {
        json: { access_token: 'at-1', token_type: 'Bearer', expires_in: 600, refresh_token: 'rt-1', scope: 'openid' },
      },
    });

  it('exchanges the code with its verifier for a token set', async () => {
    const server = await tokenServer();
    const tokens = await finishAuthorization({
      tokenUrl: `${server.url}/token`,
      clientId: 'cli',
      callbackUrl: `${redirectUri}?code=c0de&state=s1`,
      redirectUri,
      state: 's1',
      codeVerifier: 'v'.repeat(43),
      clock: createFakeClock(START),
    });
    expect(tokens).toEqual({
      accessToken: 'at-1',
      tokenType: 'Bearer',
      expiresAtMs: START + 600_000,
      refreshToken: 'rt-1',
      scope: 'openid',
    });
    expect(Object.fromEntries(new URLSearchParams(server.requests[0]?.text()))).toEqual({
      grant_type: 'authorization_code',
      code: 'c0de',
      redirect_uri: redirectUri,
      code_verifier: 'v'.repeat(43),
      client_id: 'cli',
    });
  });

  it.each([
    [
      'a state that does not match',
      '?code=c0de&state=forged',
      'Authorization callback state does not match: the code was not exchanged',
      undefined,
    ],
    [
      'an error from the server',
      '?error=access_denied&error_description=user+said+no&state=s1',
      'Authorization refused: access_denied',
      'access_denied',
    ],
    ['no code', '?state=s1', 'Authorization callback has no code', undefined],
  ])('fails on %s without a token request', async (_name, query, message, oauthError) => {
    const server = await tokenServer();
    const error = await finishAuthorization({
      tokenUrl: `${server.url}/token`,
      clientId: 'cli',
      callbackUrl: `${redirectUri}${query}`,
      redirectUri,
      state: 's1',
      codeVerifier: 'v'.repeat(43),
    }).catch((caught: unknown) => caught);
    expect(isAuthError(error) && [error.message, error.oauthError]).toEqual([message, oauthError]);
    expect(server.requests).toHaveLength(0);
  });

  it("surfaces the token endpoint's invalid_grant", async () => {
    const server = await createTestServer({ 'POST /token': { status: 400, json: { error: 'invalid_grant' } } });
    const error = await finishAuthorization({
      tokenUrl: `${server.url}/token`,
      clientId: 'cli',
      clientSecret: 'secret',
      callbackUrl: `${redirectUri}?code=used&state=s1`,
      redirectUri,
      state: 's1',
      codeVerifier: 'v'.repeat(43),
    }).catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.oauthError).toBe('invalid_grant');
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${btoa('cli:secret')}`);
  });

  it('refuses a verifier shorter than RFC 7636 allows', async () => {
    await expect(
      finishAuthorization({
        tokenUrl: 'https://a.example/token',
        clientId: 'c',
        callbackUrl: redirectUri,
        redirectUri,
        state: 's',
        codeVerifier: 'short',
      }),
    ).rejects.toSatisfy((error) => isConfigError(error) && error.option === 'finishAuthorization.codeVerifier');
  });
});
