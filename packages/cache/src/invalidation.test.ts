import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

const fresh = { body: 'stored', headers: { 'cache-control': 'max-age=600' } };

describe('invalidation (RFC 9111 §4.4)', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'M-SEARCH'])(
    'drops the stored target after a successful %s',
    async (method) => {
      const { fetch, stored } = client();
      const server = await createTestServer({
        '/items': (request) => (request.method === 'GET' ? fresh : { status: 204 }),
      });
      await (await fetch(`${server.url}/items`)).text();
      await stored();
      const unsafe = await fetch(`${server.url}/items`, { method, body: 'change' });
      expect(cacheStatus(unsafe)).toBe('bypass');
      expect(cacheStatus(await fetch(`${server.url}/items`))).toBe('miss');
      expect(server.requests.map((request) => request.method)).toEqual(['GET', method, 'GET']);
    },
  );

  it('keeps the stored target when the unsafe request failed', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /items': fresh, 'POST /items': { status: 500 } });
    await (await fetch(`${server.url}/items`)).text();
    await stored();
    await fetch(`${server.url}/items`, { method: 'POST', body: 'x' });
    expect(cacheStatus(await fetch(`${server.url}/items`))).toBe('hit');
  });

  it('drops every variant and every credential’s copy of the target', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({
      'GET /me': { body: 'me', headers: { 'cache-control': 'private, max-age=600', vary: 'accept' } },
      'DELETE /me': { status: 200 },
    });
    const alice = { authorization: 'Bearer alice', accept: 'text/plain' };
    const bob = { authorization: 'Bearer bob', accept: 'application/json' };
    await (await fetch(`${server.url}/me`, { headers: alice })).text();
    await (await fetch(`${server.url}/me`, { headers: bob })).text();
    await stored(2);
    await fetch(`${server.url}/me`, { method: 'DELETE', headers: alice });
    expect(cacheStatus(await fetch(`${server.url}/me`, { headers: alice }))).toBe('miss');
    expect(cacheStatus(await fetch(`${server.url}/me`, { headers: bob }))).toBe('miss');
  });

  it('drops the Location and Content-Location targets on the same origin, and nothing elsewhere', async () => {
    const { fetch, stored } = client();
    const elsewhere = await createTestServer({ 'GET /other': fresh });
    const server = await createTestServer({
      'GET /a': fresh,
      'GET /b': fresh,
      'POST /collection': {
        status: 201,
        headers: { location: '/a?x#frag', 'content-location': `${elsewhere.url}/other` },
      },
      'PUT /doc': { status: 200, headers: { 'content-location': '/b', location: '::not a url::' } },
      'GET /a?x': fresh,
    });
    for (const url of [`${server.url}/a?x`, `${server.url}/b`, `${server.url}/a`, `${elsewhere.url}/other`]) {
      await (await fetch(url)).text();
    }
    await stored(4);
    await fetch(`${server.url}/collection`, { method: 'POST', body: '{}' });
    await fetch(`${server.url}/doc`, { method: 'PUT', body: '{}' });
    expect(cacheStatus(await fetch(`${server.url}/a?x`))).toBe('miss');
    expect(cacheStatus(await fetch(`${server.url}/b`))).toBe('miss');
    expect(cacheStatus(await fetch(`${server.url}/a`))).toBe('hit');
    expect(cacheStatus(await fetch(`${elsewhere.url}/other`))).toBe('hit');
  });

  it('leaves the store alone for OPTIONS and TRACE', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /items': fresh, 'OPTIONS /items': { status: 204 } });
    await (await fetch(`${server.url}/items`)).text();
    await stored();
    expect(cacheStatus(await fetch(`${server.url}/items`, { method: 'OPTIONS' }))).toBe('bypass');
    expect(cacheStatus(await fetch(`${server.url}/items`))).toBe('hit');
  });
});
