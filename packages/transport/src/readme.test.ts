// The README's examples, run against a local server (the API URL points at it). Factories of the
// other ferrule packages are stood in for by small middlewares of the same shape: a concern package
// may not import another one.
import { createFetch, editable, isValidationError, type Middleware } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import * as v from 'valibot';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { bodyLimit, createClient } from './index.ts';
import { undiciFetch as makeUndiciFetch, type UndiciFetchOptions } from './undici.ts';

const undiciFetch = (options?: UndiciFetchOptions) => {
  const fetch = makeUndiciFetch(options);
  onTestFinished(() => fetch.close());
  return fetch;
};

const product = { id: 4711, name: 'Brass ferrule', stock: 318 };

// Adds a header on the way in, like the concern it stands in for.
const header =
  (name: string, value: string): (() => Middleware) =>
  () =>
    async function stand_in(request, context, next) {
      const edited = editable(request, context);
      edited.headers.append(name, value);
      return next(edited, context);
    };
const logging = header('x-layer', 'logging');
const metrics = header('x-layer', 'metrics');
const cache = header('x-layer', 'cache');
const resilience = header('x-layer', 'resilience');
const rateLimit = header('x-layer', 'rate-limit');
const bearer = (token: string) => header('authorization', `Bearer ${token}`)();

describe('README', () => {
  it('runs the example: a client with validated JSON, and the same pieces under createFetch', async () => {
    const server = await createTestServer({ 'GET /v1/products/4711': { json: product } });
    const base = `${server.url}/v1/`;

    // --- README example ---
    const Product = v.object({ id: v.number(), name: v.string(), stock: v.number() });

    const api = createClient({ baseUrl: base, fetch: undiciFetch(), maxBodyBytes: 1_048_576 });
    const result = await api.get('products/4711').json(Product);

    const fetch = createFetch({ use: [bodyLimit({ maxBytes: 1_048_576 })], fetch: undiciFetch() });
    const response = await fetch(`${base}products/4711`);
    // --- end of example ---

    expect(result).toEqual(product);
    expect(await response.json()).toEqual(product);
  });

  it('runs "A whole client": the slots in the recommended order', async () => {
    const server = await createTestServer({ 'GET /v1/products/4711': { json: product } });

    // --- README example ---
    const api = createClient({
      baseUrl: `${server.url}/v1/`,
      observability: [logging(), metrics()],
      cache: cache(),
      resilience: resilience(),
      rateLimit: rateLimit(),
      auth: bearer('token-from-your-vault'),
      fetch: undiciFetch({ connections: 32 }),
    });
    // --- end of example ---

    await api.get('products/4711').json();
    expect(server.requests[0]?.headers).toMatchObject({
      'x-layer': 'logging, metrics, cache, resilience, rate-limit',
      authorization: 'Bearer token-from-your-vault',
    });
  });

  it('runs the `use` example: your own order', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const userAgent = header('x-layer', 'user-agent')();
    const requestId = header('x-layer', 'request-id')();

    // --- README example ---
    const api = createClient({
      auth: bearer('token-from-your-vault'),
      use: [userAgent, 'auth', requestId],
    });
    // --- end of example ---

    await api.get(`${server.url}/items`);
    expect(server.requests[0]?.headers).toMatchObject({
      'x-layer': 'user-agent, request-id',
      authorization: 'Bearer token-from-your-vault',
    });
  });

  it('runs the validation example', async () => {
    const server = await createTestServer({ 'GET /v1/products/4711': { json: { ...product, stock: 'many' } } });
    const api = createClient({ baseUrl: `${server.url}/v1/` });
    const Product = v.object({ id: v.number(), name: v.string(), stock: v.number() });
    const logged: unknown[] = [];
    vi.spyOn(console, 'log').mockImplementation((value: unknown) => void logged.push(value));
    onTestFinished(() => void vi.restoreAllMocks());

    // --- README example ---
    try {
      await api.get('products/4711').json(Product);
    } catch (error) {
      if (isValidationError(error)) console.log(error.issues); // [{ path: 'stock', message: 'Invalid type: Expected number' }]
    }
    // --- end of example ---

    expect(logged).toEqual([[{ path: 'stock', message: 'Invalid type: Expected number' }]]);
  });
});
