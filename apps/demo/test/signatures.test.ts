import { createFakeClock, editable, type Middleware } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { patch, productOf, signingFetch, startApi } from './helpers.ts';

const START_MS = Date.UTC(2026, 5, 1, 12);

// Sends the signed request with something changed after it was signed.
const tamper =
  (change: (request: Request) => Request | Promise<Request>): Middleware =>
  async (request, context, next) =>
    next(await change(editable(request, context)), context);

const rejection = async (response: Response) => ({ status: response.status, ...((await response.json()) as object) });

describe('the API verifies RFC 9421 signatures on writes', () => {
  it('applies a write signed by the client', async () => {
    const api = await startApi();
    const response = await patch(signingFetch(api), api, 1, 4_321);
    expect(response.status).toBe(200);
    expect(productOf(api, 1)).toMatchObject({ priceCents: 4_321, version: 2 });
    expect(api.stats().signatures).toEqual({ verified: 1, rejected: {} });
  });

  it('refuses a write whose body changed after it was signed, and applies nothing', async () => {
    const api = await startApi();
    const swapBody = tamper(
      (request) =>
        new Request(request.url, { method: request.method, headers: request.headers, body: '{"priceCents":1}' }),
    );
    const response = await patch(signingFetch(api, { after: [swapBody] }), api, 1, 4_321);
    expect(await rejection(response)).toEqual({ status: 403, error: 'signature rejected', reason: 'digest-mismatch' });
    expect(productOf(api, 1)?.version).toBe(1);
  });

  it('refuses a write whose Content-Digest was made to match a changed body', async () => {
    const api = await startApi();
    const { contentDigest } = await import('@ferrule/auth');
    const body = '{"priceCents":1}';
    const digest = await contentDigest(body);
    const forged = tamper((request) => {
      const headers = new Headers(request.headers);
      headers.set('content-digest', digest);
      return new Request(request.url, { method: request.method, headers, body });
    });
    const response = await patch(signingFetch(api, { after: [forged] }), api, 1, 4_321);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'signature-mismatch' });
    expect(productOf(api, 1)?.version).toBe(1);
  });

  it('refuses a signature made with another secret', async () => {
    const api = await startApi();
    const response = await patch(signingFetch(api, { signing: { secret: 'not-the-signing-secret' } }), api, 1, 10);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'signature-mismatch' });
  });

  it('refuses a signature with a key id it does not know', async () => {
    const api = await startApi();
    const response = await patch(signingFetch(api, { signing: { keyId: 'someone-else' } }), api, 1, 10);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'unknown-key' });
  });

  it('refuses a write without a signature', async () => {
    const api = await startApi();
    const strip = tamper((request) => {
      request.headers.delete('signature');
      request.headers.delete('signature-input');
      return request;
    });
    const response = await patch(signingFetch(api, { after: [strip] }), api, 1, 10);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'missing-signature' });
  });

  it('refuses a signature that does not cover the body', async () => {
    const api = await startApi();
    const fetch = signingFetch(api, { signing: { components: ['@method', '@target-uri'] } });
    const response = await patch(fetch, api, 1, 10);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'uncovered-component' });
  });

  it('refuses a signature moved to another product', async () => {
    const api = await startApi();
    const redirect = tamper(
      async (request) =>
        new Request(request.url.replace(/\/1$/, '/2'), {
          method: request.method,
          headers: request.headers,
          body: await request.text(),
        }),
    );
    const response = await patch(signingFetch(api, { after: [redirect] }), api, 1, 10);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'signature-mismatch' });
    expect(productOf(api, 2)?.version).toBe(1);
  });

  it('refuses a malformed Signature-Input', async () => {
    const api = await startApi();
    const garble = tamper((request) => {
      request.headers.set('signature-input', 'sig1=("@method" "@target-uri";created=oops');
      return request;
    });
    const response = await patch(signingFetch(api, { after: [garble] }), api, 1, 10);
    expect(await rejection(response)).toMatchObject({ status: 403, reason: 'malformed-signature' });
  });

  it('refuses the same signed request a second time, even with a new idempotency key', async () => {
    const api = await startApi();
    let captured: { url: string; headers: Headers; body: string } | undefined;
    const capture: Middleware = async (request, context, next) => {
      captured = { url: request.url, headers: new Headers(request.headers), body: await request.clone().text() };
      return next(request, context);
    };
    expect((await patch(signingFetch(api, { after: [capture] }), api, 1, 10)).status).toBe(200);
    const replay = captured as NonNullable<typeof captured>;
    replay.headers.set('idempotency-key', '"another-key"');
    const again = await fetch(replay.url, { method: 'PATCH', headers: replay.headers, body: replay.body });
    expect(await rejection(again)).toMatchObject({ status: 403, reason: 'replayed-nonce' });
    expect(productOf(api, 1)?.version).toBe(2);
  });

  it('accepts a signature created up to 300 s ago and refuses one a second older', async () => {
    const serverClock = createFakeClock(START_MS);
    const api = await startApi({ clock: serverClock });
    const old = (ageSeconds: number) => signingFetch(api, { clock: createFakeClock(START_MS - ageSeconds * 1000) });
    expect((await patch(old(300), api, 1, 10)).status).toBe(200);
    expect(await rejection(await patch(old(301), api, 2, 10))).toMatchObject({ reason: 'outside-time-window' });
  });

  it('accepts a signature created up to 5 s ahead and refuses one further in the future', async () => {
    const api = await startApi({ clock: createFakeClock(START_MS) });
    const ahead = (seconds: number) => signingFetch(api, { clock: createFakeClock(START_MS + seconds * 1000) });
    expect((await patch(ahead(5), api, 1, 10)).status).toBe(200);
    expect(await rejection(await patch(ahead(6), api, 2, 10))).toMatchObject({ reason: 'outside-time-window' });
  });
});
