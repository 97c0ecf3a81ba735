import type { Middleware } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf, recorder } from '../test/helpers.ts';
import { apiKey } from './api-key.ts';

// A layer that sends every request twice, as a retry layer outside auth does.
const twice: Middleware = async (request, context, next) => {
  await next(request.clone(), context);
  return next(request, { ...context, attempt: 2 });
};

describe('apiKey', () => {
  it('sends the key in X-API-Key by default', async () => {
    const server = await createTestServer({ '/items': { json: [] } });
    await client(apiKey({ value: 'k-123' })).fetch(`${server.url}/items`);
    expect(server.requests[0]?.headers['x-api-key']).toBe('k-123');
  });

  it('sends the key in the header you name', async () => {
    const server = await createTestServer({ '/items': { json: [] } });
    await client(apiKey({ header: 'Api-Token', value: 'k-123' })).fetch(`${server.url}/items`);
    expect(server.requests[0]?.headers['api-token']).toBe('k-123');
  });

  it('adds the key to the query, keeps the other parameters, and keeps it out of response.url', async () => {
    const server = await createTestServer({ '/items': { json: [] } });
    const response = await client(apiKey({ query: 'api_key', value: 'k 1&2' })).fetch(`${server.url}/items?page=2`);
    expect(server.requests[0]?.url).toBe('/items?page=2&api_key=k+1%262');
    expect(response.url).toBe(`${server.url}/items?page=2`);
  });

  it('reads the key from its provider on every attempt', async () => {
    const { fetch, requests } = recorder();
    let version = 0;
    await client([twice, apiKey({ value: async () => `key-${++version}` })], { fetch }).fetch(
      'https://api.example.com/x',
    );
    expect(requests.map((request) => request.headers.get('x-api-key'))).toEqual(['key-1', 'key-2']);
  });

  it.each([
    [{ value: '' }, 'apiKey.value'],
    [{ value: 'a\nb' }, 'apiKey.value'],
    [{ value: 'k', header: 'x api key' }, 'apiKey.header'],
    [{ value: 'k', query: '' }, 'apiKey.query'],
    [{ value: 'k', header: 'x-key', query: 'key' }, 'apiKey.query'],
    [{ value: 'k', headers: 'x-key' }, 'apiKey.headers'],
  ])('refuses %j with a ConfigError naming %s, never the value', (options, option) => {
    const error = configErrorOf(() => apiKey(options as Parameters<typeof apiKey>[0]));
    expect(error?.option).toBe(option);
    expect(error?.message).not.toContain('a\nb');
  });
});
