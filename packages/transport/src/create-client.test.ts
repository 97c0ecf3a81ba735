import { createFakeClock, editable, type FerruleEvent, isConfigError, type Middleware } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import ky, { HTTPError, isHTTPError } from 'ky';
import type { Agent } from 'undici';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { thrownBy } from '../test/caught.ts';
import { type ClientOptions, createClient } from './index.ts';
import { undiciFetch } from './undici.ts';

declare module '@ferrule/core' {
  interface CallOptions {
    stamp?: { value?: string };
  }
}

// A stand-in for a concern: appends its name to `x-order` on the way in, and to `seen` on the way out.
const stamp = (name: string, seen: string[] = []): Middleware =>
  async function stamp(request, context, next) {
    const stamped = editable(request, context);
    const before = stamped.headers.get('x-order');
    stamped.headers.set('x-order', before ? `${before},${name}` : name);
    const response = await next(stamped, context);
    seen.push(name);
    return response;
  };

const configError = (options: unknown) => thrownBy(() => createClient(options as ClientOptions), isConfigError);

describe('createClient', () => {
  it('sends every call through the slots in the recommended order, outermost first', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const seen: string[] = [];
    const api = createClient({
      baseUrl: server.url,
      auth: stamp('auth', seen),
      rateLimit: stamp('rateLimit', seen),
      resilience: [stamp('total', seen), stamp('retry', seen)],
      cache: stamp('cache', seen),
      observability: stamp('observability', seen),
    });
    await api.get('items').json();
    expect(server.requests[0]?.headers['x-order']).toBe('observability,cache,total,retry,rateLimit,auth');
    expect(seen).toEqual(['auth', 'rateLimit', 'retry', 'total', 'cache', 'observability']);
  });

  it('sends every call through `use` in the order given', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const api = createClient({ baseUrl: server.url, auth: stamp('auth'), use: ['auth', stamp('after-auth')] });
    await api.get('items');
    expect(server.requests[0]?.headers['x-order']).toBe('auth,after-auth');
  });

  it("keeps ky's API: baseUrl, searchParams, headers, json bodies and hooks", async () => {
    const server = await createTestServer({ 'POST /orders': { status: 201, json: { id: 7 } } });
    const hooked: string[] = [];
    const api = createClient({
      baseUrl: `${server.url}/`,
      headers: { 'x-client': 'inventory' },
      hooks: { beforeRequest: [({ request }) => void hooked.push(request.method)] },
    });
    const order = await api.post('orders', { json: { sku: 'A-1' }, searchParams: { dryRun: true } }).json();
    expect(order).toEqual({ id: 7 });
    expect(hooked).toEqual(['POST']);
    const [received] = server.requests;
    expect(received?.url).toBe('/orders?dryRun=true');
    expect(received?.headers).toMatchObject({ 'x-client': 'inventory', 'content-type': 'application/json' });
    expect(received?.json()).toEqual({ sku: 'A-1' });
  });

  it('hands per-call options on `ferrule` to the middlewares', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const options: unknown[] = [];
    const api = createClient({
      baseUrl: server.url,
      use: [
        async (request, context, next) => {
          options.push(context.options.stamp?.value);
          return next(request, context);
        },
      ],
    });
    await api.get('items', { ferrule: { stamp: { value: 'per-call' } } });
    await api.get('items');
    expect(options).toEqual(['per-call', undefined]);
  });

  it("turns ky's retry off: a 503 is one request and an HTTPError", async () => {
    const server = await createTestServer({ 'GET /flaky': { status: 503 } });
    const retries: unknown[] = [];
    const api = createClient({
      baseUrl: server.url,
      hooks: { beforeRequest: [({ options }) => void retries.push(options.retry)] },
    });
    await expect(api.get('flaky').json()).rejects.toBeInstanceOf(HTTPError);
    expect(server.requests).toHaveLength(1);
    expect(retries).toEqual([expect.objectContaining({ limit: 0 })]);
  });

  it("turns ky's timeout off: no 10 s timer is set for a call", async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    onTestFinished(() => void setTimeoutSpy.mockRestore());
    const kyTimers = () => setTimeoutSpy.mock.calls.filter(([, delayMs]) => delayMs === 10_000).length;
    const fetch = async () => new Response('ok');
    expect(await createClient({ fetch }).get('http://127.0.0.1:9/items').text()).toBe('ok');
    expect(kyTimers()).toBe(0);
    // Plain ky sets its 10 s timers (the request, the body read) for the same call: the check above can fail.
    await ky.get('http://127.0.0.1:9/items', { fetch, retry: 0 }).text();
    expect(kyTimers()).toBeGreaterThan(0);
  });

  it("refuses ky's retry, timeout and totalTimeout, pointing to @ferrule/resilience", () => {
    for (const option of ['retry', 'timeout', 'totalTimeout']) {
      const error = configError({ [option]: 1_000 });
      expect(error.option).toBe(`createClient.${option}`);
      expect(error.message).toContain('@ferrule/resilience');
    }
  });

  it('validates its own options with a ConfigError naming the option', () => {
    expect(configError({ cache: 'no-store' }).option).toBe('createClient.cache');
    expect(configError({ auth: [() => {}, 'token'] }).option).toBe('createClient.auth');
    expect(configError({ use: ['database'] }).option).toBe('createClient.use.0');
    expect(configError({ fetch: 'https://example.com' }).option).toBe('createClient.fetch');
    expect(configError({ maxBodyBytes: -1 }).option).toBe('createClient.maxBodyBytes');
    expect(configError({ clock: {} }).option).toBe('createClient.clock');
    expect(configError({ onEvent: true }).option).toBe('createClient.onEvent');
  });

  it('sends through the terminal fetch it is given', async () => {
    const server = await createTestServer({ 'GET /items': { json: [1] } });
    const fetch = undiciFetch();
    onTestFinished(() => fetch.close());
    const api = createClient({ baseUrl: server.url, fetch });
    expect(await api.get('items').json()).toEqual([1]);
    expect((fetch.dispatcher as Agent).stats[server.url]?.connected).toBe(1);
  });

  it('reports the events of every call to onEvent, with the URL redacted, on the clock it is given', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const events: FerruleEvent[] = [];
    const clock = createFakeClock(1_000);
    const api = createClient({ baseUrl: server.url, onEvent: (event) => events.push(event), clock });
    await api.get('items', { searchParams: { api_key: 'secret-value' } });
    expect(events.map((event) => event.type)).toEqual(['request', 'response']);
    expect(events[1]).toMatchObject({ status: 200, method: 'GET', timeMs: 1_000, durationMs: 0 });
    expect(JSON.stringify(events)).not.toContain('secret-value');
  });

  it("redacts key-like query parameters in the message and stack of ky's errors", async () => {
    const server = await createTestServer({ 'GET /items': { status: 404, json: { error: 'nope' } } });
    const seenByHook: string[] = [];
    const api = createClient({
      baseUrl: server.url,
      hooks: {
        beforeError: [
          ({ error }) => {
            seenByHook.push(error.message);
            return error;
          },
        ],
      },
    });
    const error = await api.get('items?api_key=secret-value&page=2').catch((caught: unknown) => caught);
    expect(isHTTPError(error)).toBe(true);
    const { message, stack } = error as HTTPError;
    expect(message).toContain('/items?api_key=[REDACTED]&page=2');
    expect(`${message}${stack}${seenByHook}`).not.toContain('secret-value');
  });

  it('keeps the chain and its checks in an instance made with extend()', async () => {
    const server = await createTestServer({ 'GET /v2/items': { json: [] } });
    const api = createClient({ baseUrl: `${server.url}/v2/`, observability: stamp('observability') });
    const child = api.extend({ headers: { 'x-child': '1' } });
    await child.get('items');
    expect(server.requests[0]?.headers).toMatchObject({ 'x-order': 'observability', 'x-child': '1' });
  });
});
