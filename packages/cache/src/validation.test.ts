import { createTestServer, type RecordedRequest, type ResponseSpec } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, httpDate } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

describe('revalidation (RFC 9111 §4.3)', () => {
  it('sends If-None-Match and If-Modified-Since from the stored validators, quoting a bare ETag', async () => {
    const { clock, fetch, stored } = client();
    const lastModified = httpDate(clock, -3_600_000);
    const server = await createTestServer({
      'GET /a': {
        body: 'a',
        headers: { 'cache-control': 'max-age=1', etag: 'W/"weak"', 'last-modified': lastModified },
      },
      'GET /b': { body: 'b', headers: { 'cache-control': 'max-age=1', etag: 'bare' } },
    });
    await (await fetch(`${server.url}/a`)).text();
    await (await fetch(`${server.url}/b`)).text();
    await stored(2);
    await clock.advance(1_000);
    await (await fetch(`${server.url}/a`)).text();
    await (await fetch(`${server.url}/b`)).text();
    const [, , a, b] = server.requests as RecordedRequest[];
    expect([a?.headers['if-none-match'], a?.headers['if-modified-since']]).toEqual(['W/"weak"', lastModified]);
    expect(b?.headers['if-none-match']).toBe('"bare"');
  });

  it('merges a 304 into the stored response: new fields win, the body and Content-Length stay', async () => {
    const { clock, fetch, stored, statuses } = client();
    const server = await createTestServer({
      'GET /doc': (request: RecordedRequest): ResponseSpec =>
        request.headers['if-none-match'] === '"v1"'
          ? {
              status: 304,
              headers: {
                date: httpDate(clock),
                'cache-control': 'max-age=600',
                etag: '"v1"',
                'x-updated': 'yes',
                'content-length': '0',
              },
            }
          : {
              body: 'the body',
              headers: {
                date: httpDate(clock),
                'cache-control': 'max-age=10',
                etag: '"v1"',
                'x-original': 'kept',
                'x-updated': 'no',
              },
            },
    });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    await clock.advance(10_000);
    const revalidated = await fetch(`${server.url}/doc`);
    expect(cacheStatus(revalidated)).toBe('revalidated');
    expect(revalidated.status).toBe(200);
    expect(await revalidated.text()).toBe('the body');
    expect(revalidated.headers.get('x-updated')).toBe('yes');
    expect(revalidated.headers.get('x-original')).toBe('kept');
    expect(revalidated.headers.get('content-length')).toBe('8');
    // The freshness the 304 brought now counts: ten minutes from the revalidation.
    await clock.advance(599_999);
    expect(cacheStatus(await fetch(`${server.url}/doc`))).toBe('hit');
    await clock.advance(1);
    expect(cacheStatus(await fetch(`${server.url}/doc`))).toBe('revalidated');
    expect(statuses()).toEqual(['miss', 'revalidated', 'hit', 'revalidated']);
    expect(server.requests).toHaveLength(3);
  });

  it('stores the full response that comes back instead of a 304', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /doc': [
        { body: 'v1', etag: '"v1"', headers: { 'cache-control': 'max-age=10' } },
        { body: 'v2', etag: '"v2"', headers: { 'cache-control': 'max-age=10' } },
      ],
    });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    await clock.advance(10_000);
    const changed = await fetch(`${server.url}/doc`);
    expect([cacheStatus(changed), await changed.text()]).toEqual(['miss', 'v2']);
    await stored(2);
    expect(await (await fetch(`${server.url}/doc`)).text()).toBe('v2');
  });

  it('asks again without validators when a 304 names another representation (§4.3.4)', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /doc': (request: RecordedRequest): ResponseSpec =>
        request.headers['if-none-match']
          ? { status: 304, headers: { etag: '"other"' } }
          : { body: 'fresh copy', headers: { 'cache-control': 'max-age=10', etag: '"v1"' } },
    });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    await clock.advance(10_000);
    const response = await fetch(`${server.url}/doc`);
    expect([response.status, await response.text()]).toEqual([200, 'fresh copy']);
    expect(server.requests.map((request) => request.headers['if-none-match'])).toEqual([undefined, '"v1"', undefined]);
  });

  it('always validates a no-cache response before use, even when max-age says fresh', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({
      'GET /doc': { body: 'doc', etag: '"abc"', headers: { 'cache-control': 'max-age=600, No-Cache' } },
    });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    const response = await fetch(`${server.url}/doc`);
    expect([cacheStatus(response), await response.text()]).toEqual(['revalidated', 'doc']);
    expect(server.requests[1]?.headers['if-none-match']).toBe('"abc"');
  });

  it('leaves out the fields a qualified no-cache names, and Connection with what it lists', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({
      'GET /doc': {
        body: 'doc',
        headers: {
          'cache-control': 'no-cache="x-a, X-B", max-age=600',
          'x-a': '1',
          'x-b': '2',
          'x-c': '3',
          connection: 'x-d',
          'x-d': '4',
        },
      },
    });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    const hit = await fetch(`${server.url}/doc`);
    expect(cacheStatus(hit)).toBe('hit');
    expect(['x-a', 'x-b', 'x-c', 'x-d', 'connection'].map((name) => hit.headers.get(name))).toEqual([
      null,
      null,
      '3',
      null,
      null,
    ]);
  });
});

describe("the caller's own conditional requests (RFC 9111 §4.3.2)", () => {
  const setup = async () => {
    const tools = client();
    const lastModified = httpDate(tools.clock, -86_400_000);
    const server = await createTestServer({
      'GET /doc': { body: 'doc', etag: '"abc"', lastModified, headers: { 'cache-control': 'max-age=600' } },
    });
    await (await tools.fetch(`${server.url}/doc`)).text();
    await tools.stored();
    return { ...tools, server, lastModified };
  };

  it('answers 304 itself when a fresh stored response matches If-None-Match (weak comparison)', async () => {
    const { fetch, server } = await setup();
    for (const ifNoneMatch of ['"abc"', 'W/"abc"', '"x", "abc"', '*']) {
      const response = await fetch(`${server.url}/doc`, { headers: { 'if-none-match': ifNoneMatch } });
      expect([response.status, response.headers.get('etag'), cacheStatus(response)]).toEqual([304, '"abc"', 'hit']);
    }
    expect(server.requests).toHaveLength(1);
  });

  it('answers 200 from the store when the validator does not match', async () => {
    const { fetch, server, lastModified } = await setup();
    const other = await fetch(`${server.url}/doc`, { headers: { 'if-none-match': '"zzz"' } });
    expect([other.status, await other.text()]).toEqual([200, 'doc']);
    const before = new Date(Date.parse(lastModified) - 1_000).toUTCString();
    const older = await fetch(`${server.url}/doc`, { headers: { 'if-modified-since': before } });
    expect(older.status).toBe(200);
    const same = await fetch(`${server.url}/doc`, { headers: { 'if-modified-since': lastModified } });
    expect(same.status).toBe(304);
    expect(server.requests).toHaveLength(1);
  });

  it('forwards the caller’s validators untouched once the stored response is stale', async () => {
    const { clock, fetch, server } = await setup();
    await clock.advance(600_000);
    const response = await fetch(`${server.url}/doc`, { headers: { 'if-none-match': '"abc"' } });
    expect(response.status).toBe(304);
    expect(server.requests[1]?.headers['if-none-match']).toBe('"abc"');
  });
});
