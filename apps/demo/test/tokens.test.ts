import { createFakeClock } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { startApi, tokenFor } from './helpers.ts';

describe('the API issues short-lived OAuth 2.0 tokens', () => {
  it('issues a bearer token for the client credentials, not to be stored by anyone', async () => {
    const api = await startApi();
    const response = await tokenFor(api);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3 });
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const api = await startApi();
    const response = await tokenFor(api, 'not-the-secret');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });

  it('accepts a token until it expires and refuses it from then on with invalid_token', async () => {
    const clock = createFakeClock(Date.UTC(2026, 5, 1));
    const api = await startApi({ clock });
    const { access_token: token } = (await (await tokenFor(api)).json()) as { access_token: string };
    const read = () => fetch(`${api.url}/products/1`, { headers: { authorization: `Bearer ${token}` } });
    await clock.advance(2_999);
    expect((await read()).status).toBe(200);
    await clock.advance(1);
    const expired = await read();
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="catalogue", error="invalid_token"');
  });

  it('answers a call without a token with a Bearer challenge and no error code', async () => {
    const api = await startApi();
    const response = await fetch(`${api.url}/products`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="catalogue"');
  });
});
