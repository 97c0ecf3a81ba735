import { createTestServer, type RecordedRequest, type ResponseSpec } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

// Answers whoever asked, by their credential.
const whoami =
  (cacheControl: string, vary?: string) =>
  (request: RecordedRequest): ResponseSpec => ({
    body: `hello ${request.headers.authorization ?? request.headers['x-api-key'] ?? request.headers.cookie ?? new URL(request.url, 'http://x').searchParams.get('api_key') ?? 'anonymous'}`,
    headers: { 'cache-control': cacheControl, ...(vary && { vary }) },
  });

describe('credential isolation', () => {
  it('keeps a response to a request with credentials for that credential only', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /me': whoami('max-age=600') });
    const get = async (headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}/me`, { headers });
      return [cacheStatus(response), await response.text()];
    };
    expect(await get({ authorization: 'Bearer alice' })).toEqual(['miss', 'hello Bearer alice']);
    await stored();
    expect(await get({ authorization: 'Bearer bob' })).toEqual(['miss', 'hello Bearer bob']);
    expect(await get()).toEqual(['miss', 'hello anonymous']);
    await stored(3);
    expect(await get({ authorization: 'Bearer alice' })).toEqual(['hit', 'hello Bearer alice']);
    expect(await get({ authorization: 'Bearer bob' })).toEqual(['hit', 'hello Bearer bob']);
    expect(await get()).toEqual(['hit', 'hello anonymous']);
  });

  it('treats cookies, API-key headers and key-like query parameters as credentials', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /me': whoami('max-age=600') });
    await (await fetch(`${server.url}/me`, { headers: { cookie: 'session=alice' } })).text();
    await (await fetch(`${server.url}/me`, { headers: { 'x-api-key': 'alice-key' } })).text();
    await (await fetch(`${server.url}/me?api_key=alice-q`)).text();
    await stored(3);
    for (const [init, url] of [
      [{ headers: { cookie: 'session=bob' } }, '/me'],
      [{ headers: { 'x-api-key': 'bob-key' } }, '/me'],
      [{}, '/me?api_key=bob-q'],
      [{}, '/me'],
    ] as const) {
      expect(cacheStatus(await fetch(`${server.url}${url}`, init))).toBe('miss');
    }
    expect(cacheStatus(await fetch(`${server.url}/me?api_key=alice-q`))).toBe('hit');
  });

  it('shares a public response with every credential and none', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /catalog': whoami('public, max-age=600') });
    await (await fetch(`${server.url}/catalog`, { headers: { authorization: 'Bearer alice' } })).text();
    await stored();
    const bob = await fetch(`${server.url}/catalog`, { headers: { authorization: 'Bearer bob' } });
    const anonymous = await fetch(`${server.url}/catalog`);
    expect([cacheStatus(bob), await bob.text()]).toEqual(['hit', 'hello Bearer alice']);
    expect(cacheStatus(anonymous)).toBe('hit');
  });

  it('never shares a public response that varies on a credential', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /me': whoami('public, max-age=600', 'Authorization') });
    await (await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer alice' } })).text();
    await stored();
    const bob = await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer bob' } });
    expect([cacheStatus(bob), await bob.text()]).toEqual(['miss', 'hello Bearer bob']);
    expect(cacheStatus(await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer alice' } }))).toBe('hit');
  });

  it('never shares a public response that sets a cookie', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({
      'GET /welcome': (request) => ({
        body: `welcome ${request.headers.authorization}`,
        headers: { 'cache-control': 'public, max-age=600', 'set-cookie': `session=${request.headers.authorization}` },
      }),
    });
    await (await fetch(`${server.url}/welcome`, { headers: { authorization: 'alice' } })).text();
    await stored();
    const bob = await fetch(`${server.url}/welcome`, { headers: { authorization: 'bob' } });
    expect([cacheStatus(bob), bob.headers.get('set-cookie')]).toEqual(['miss', 'session=bob']);
  });

  it('keeps what one credential’s revalidation brings back from a shared response to itself', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /catalog': (request) => {
        const cookie = `session=${request.headers.authorization ?? 'none'}`;
        return request.headers['if-none-match'] === '"v"'
          ? { status: 304, headers: { etag: '"v"', 'cache-control': 'public, max-age=10', 'set-cookie': cookie } }
          : { body: 'catalog', headers: { etag: '"v"', 'cache-control': 'public, max-age=10' } };
      },
    });
    await (await fetch(`${server.url}/catalog`, { headers: { authorization: 'alice' } })).text();
    await stored();
    await clock.advance(10_000);
    const bob = await fetch(`${server.url}/catalog`, { headers: { authorization: 'bob' } });
    expect([cacheStatus(bob), bob.headers.get('set-cookie'), await bob.text()]).toEqual([
      'revalidated',
      'session=bob',
      'catalog',
    ]);
    const anonymous = await fetch(`${server.url}/catalog`);
    expect(anonymous.headers.get('set-cookie')).not.toBe('session=bob');
    expect(server.requests.at(-1)?.headers['if-none-match']).toBe('"v"');
  });

  it('never answers a request with credentials from a response kept for none', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /me': whoami('max-age=600') });
    await (await fetch(`${server.url}/me`)).text();
    await stored();
    const alice = await fetch(`${server.url}/me`, { headers: { authorization: 'Bearer alice' } });
    expect([cacheStatus(alice), await alice.text()]).toEqual(['miss', 'hello Bearer alice']);
  });

  it('keeps no secret in store keys, stored metadata or events', async () => {
    const { fetch, store, keys, events } = client();
    const server = await createTestServer({ 'GET /me': whoami('max-age=600') });
    await (
      await fetch(`${server.url}/me?api_key=s3cr3t-query`, { headers: { authorization: 'Bearer s3cr3t-token' } })
    ).text();
    await (
      await fetch(`${server.url}/me?api_key=s3cr3t-query`, { headers: { authorization: 'Bearer s3cr3t-token' } })
    ).text();
    expect(keys.length).toBeGreaterThan(0);
    const records = await Promise.all(keys.map((key) => store.get(key)));
    const visible = JSON.stringify([keys, records.map((record) => record?.metadata), events]);
    expect(visible).not.toContain('s3cr3t');
    expect(events.filter((event) => event.type === 'cache').map((event) => event.status)).toEqual([
      'miss',
      'stored',
      'hit',
    ]);
  });
});

describe('a shared cache (private: false)', () => {
  it('stores no private response, and responses to requests with credentials only when allowed (§3.5)', async () => {
    const { fetch, stored, events } = client({ private: false });
    const server = await createTestServer({
      'GET /private': whoami('private, max-age=600'),
      'GET /personal': whoami('max-age=600'),
      'GET /revalidated': whoami('max-age=600, must-revalidate'),
    });
    const alice = { authorization: 'Bearer alice' };
    const requests: [string, Record<string, string>][] = [
      ['/private', {}],
      ['/personal', alice],
      ['/revalidated', alice],
    ];
    for (const [path, headers] of requests) await (await fetch(`${server.url}${path}`, { headers })).text();
    await stored(1);
    expect(events.filter((event) => event.type === 'cache' && event.status === 'stored')).toHaveLength(1);
    const statuses = [];
    for (const [path, headers] of requests)
      statuses.push(cacheStatus(await fetch(`${server.url}${path}`, { headers })));
    expect(statuses).toEqual(['miss', 'miss', 'hit']);
  });

  it('prefers s-maxage, and never answers stale past it', async () => {
    const { clock, fetch, stored } = client({ private: false, staleIfErrorMs: 60_000 });
    const server = await createTestServer({
      'GET /shared': [{ body: 'ok', headers: { 'cache-control': 'max-age=1, s-maxage=100' } }, { status: 503 }],
    });
    await (await fetch(`${server.url}/shared`)).text();
    await stored();
    await clock.advance(99_999);
    expect(cacheStatus(await fetch(`${server.url}/shared`))).toBe('hit');
    await clock.advance(1);
    const failed = await fetch(`${server.url}/shared`);
    expect([cacheStatus(failed), failed.status]).toEqual(['miss', 503]);
  });
});
