import type { FakeClock } from '@ferrule/core';
import { createTestServer, type ResponseSpec } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, httpDate } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

// A route that answers with a body naming how many requests it has seen, dated by the fake clock.
const counted =
  (clock: FakeClock, headers: Record<string, string> = {}, extra: ResponseSpec = {}) =>
  (_request: unknown, { count }: { count: number }): ResponseSpec => ({
    body: `response ${count}`,
    ...extra,
    headers: { date: httpDate(clock), ...headers },
  });

describe('freshness over HTTP', () => {
  it('answers from the store while max-age lasts, and goes upstream the moment it runs out', async () => {
    const { clock, fetch, stored, statuses } = client();
    const server = await createTestServer({ 'GET /item': counted(clock, { 'cache-control': 'max-age=60' }) });
    expect(await (await fetch(`${server.url}/item`)).text()).toBe('response 1');
    await stored();
    await clock.advance(59_999);
    const hit = await fetch(`${server.url}/item`);
    expect(cacheStatus(hit)).toBe('hit');
    expect(await hit.text()).toBe('response 1');
    await clock.advance(1);
    expect(await (await fetch(`${server.url}/item`)).text()).toBe('response 2');
    expect(server.requests).toHaveLength(2);
    expect(statuses()).toEqual(['miss', 'hit', 'miss']);
  });

  it('keeps every header the response arrived with, sends the current Age, and never changes Date', async () => {
    const { clock, fetch, stored } = client();
    const date = httpDate(clock);
    const server = await createTestServer({
      'GET /item': {
        body: 'x',
        headers: {
          date,
          'cache-control': 'max-age=600',
          age: '30',
          'x-custom': 'kept',
          'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
          'content-type': 'text/plain; charset=utf-8',
        },
      },
    });
    await (await fetch(`${server.url}/item`)).text();
    await stored();
    await clock.advance(12_000);
    const hit = await fetch(`${server.url}/item`);
    expect(hit.headers.get('age')).toBe('42');
    expect(hit.headers.get('date')).toBe(date);
    expect(hit.headers.get('x-custom')).toBe('kept');
    expect(hit.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(hit.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(hit.status).toBe(200);
    expect(hit.url).toBe(`${server.url}/item`);
  });

  it('counts the Age the origin sent against max-age (RFC 9111 §4.2.3)', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /aged': counted(clock, { 'cache-control': 'max-age=100, must-revalidate', age: '40', etag: '"a"' }),
    });
    await (await fetch(`${server.url}/aged`)).text();
    await stored();
    await clock.advance(59_999);
    expect(cacheStatus(await fetch(`${server.url}/aged`))).toBe('hit');
    await clock.advance(1);
    await fetch(`${server.url}/aged`);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.headers['if-none-match']).toBe('"a"');
  });

  it('uses Expires minus Date when there is no max-age', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /expiring': counted(clock, { expires: httpDate(clock, 30_000) }),
    });
    await (await fetch(`${server.url}/expiring`)).text();
    await stored();
    await clock.advance(29_999);
    expect(cacheStatus(await fetch(`${server.url}/expiring`))).toBe('hit');
    await clock.advance(1);
    expect(cacheStatus(await fetch(`${server.url}/expiring`))).toBe('miss');
  });

  it('gives a response with Last-Modified a tenth of its age as heuristic freshness', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /doc': counted(clock, { 'last-modified': httpDate(clock, -100_000) }),
    });
    await (await fetch(`${server.url}/doc`)).text();
    await stored();
    await clock.advance(9_999);
    expect(cacheStatus(await fetch(`${server.url}/doc`))).toBe('hit');
    await clock.advance(1);
    const validated = await fetch(`${server.url}/doc`);
    expect(server.requests[1]?.headers['if-modified-since']).toBe(httpDate(clock, -110_000));
    expect(await validated.text()).toBe('response 2');
  });

  it('stores nothing that says no-store, and keeps the response it already had', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /first': [
        { body: 'old', headers: { 'cache-control': 'max-age=600' } },
        { body: 'secret', headers: { 'cache-control': 'no-store' } },
      ],
    });
    await (await fetch(`${server.url}/first`)).text();
    await stored();
    const revalidate = await fetch(`${server.url}/first`, { headers: { 'cache-control': 'no-cache' } });
    expect(await revalidate.text()).toBe('secret');
    expect(await (await fetch(`${server.url}/first`)).text()).toBe('old');
    expect(server.requests).toHaveLength(2);
    await clock.advance(1);
  });

  it('never stores a response without freshness or validator, nor a redirected one', async () => {
    const { fetch, statuses } = client();
    const server = await createTestServer({
      'GET /plain': { body: 'plain' },
      'GET /moved': { status: 302, headers: { location: '/target' } },
      'GET /target': { body: 'target', headers: { 'cache-control': 'max-age=600' } },
    });
    await (await fetch(`${server.url}/plain`)).text();
    await (await fetch(`${server.url}/plain`)).text();
    expect(await (await fetch(`${server.url}/moved`)).text()).toBe('target');
    expect(await (await fetch(`${server.url}/moved`)).text()).toBe('target');
    expect(server.requests.map((request) => request.url)).toEqual([
      '/plain',
      '/plain',
      '/moved',
      '/target',
      '/moved',
      '/target',
    ]);
    expect(statuses()).toEqual(['miss', 'miss', 'miss', 'miss']);
  });

  it('stores any final status that has explicit freshness, 500s included', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({
      'GET /broken': { status: 500, body: 'oops', headers: { 'cache-control': 'max-age=60' } },
    });
    await (await fetch(`${server.url}/broken`)).text();
    await stored();
    const hit = await fetch(`${server.url}/broken`);
    expect([hit.status, cacheStatus(hit), await hit.text()]).toEqual([500, 'hit', 'oops']);
  });

  it('keeps binary bodies byte for byte and a 204 without a body', async () => {
    const { fetch, stored } = client();
    const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);
    const server = await createTestServer({
      'GET /bytes': {
        body: bytes,
        headers: { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream' },
      },
      'GET /empty': { status: 204, headers: { 'cache-control': 'max-age=60' } },
    });
    await (await fetch(`${server.url}/bytes`)).arrayBuffer();
    await (await fetch(`${server.url}/empty`)).arrayBuffer();
    await stored(2);
    expect(new Uint8Array(await (await fetch(`${server.url}/bytes`)).arrayBuffer())).toEqual(bytes);
    const empty = await fetch(`${server.url}/empty`);
    expect([empty.status, cacheStatus(empty), empty.body]).toEqual([204, 'hit', null]);
  });
});

describe('hostile responses', () => {
  const once = async (headers: Record<string, string>) => {
    const { clock, fetch, statuses } = client();
    const server = await createTestServer({ 'GET /x': counted(clock, headers) });
    await (await fetch(`${server.url}/x`)).text();
    await clock.advance(1);
    await (await fetch(`${server.url}/x`)).text();
    return { requests: server.requests.length, statuses: statuses() };
  };

  it('reuses nothing with a negative, non-numeric or conflicting max-age', async () => {
    for (const cacheControl of ['max-age=-60', 'max-age=60s', 'max-age=600, max-age=1', 'max-age =600']) {
      expect(await once({ 'cache-control': cacheControl })).toEqual({ requests: 2, statuses: ['miss', 'miss'] });
    }
  });

  it('reuses a response with a huge max-age, capped rather than overflowing', async () => {
    expect(await once({ 'cache-control': 'max-age=999999999999999999999' })).toEqual({
      requests: 1,
      statuses: ['miss', 'hit'],
    });
  });

  it('treats an unparsable Expires or Date as in the past and its own arrival time', async () => {
    expect((await once({ expires: 'not a date' })).requests).toBe(2);
    expect((await once({ expires: 'Thu, 01 Jan 2099 00:00:00 GMT', date: 'yesterday' })).requests).toBe(1);
  });

  it('ignores an Age header it cannot read', async () => {
    expect(await once({ 'cache-control': 'max-age=60', age: '-7200, 9000' })).toEqual({
      requests: 1,
      statuses: ['miss', 'hit'],
    });
  });
});

describe('HEAD', () => {
  it('answers a HEAD from a stored GET, without a body', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /item': counted(clock, { 'cache-control': 'max-age=60', 'x-kind': 'item' }),
    });
    await (await fetch(`${server.url}/item`)).text();
    await stored();
    const head = await fetch(`${server.url}/item`, { method: 'HEAD' });
    expect([head.status, head.headers.get('x-kind'), head.body, cacheStatus(head)]).toEqual([200, 'item', null, 'hit']);
    expect(server.requests).toHaveLength(1);
  });

  it('sends a HEAD upstream as a HEAD, and lets its 200 freshen the stored GET it describes (§4.3.5)', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /item': counted(clock, { 'cache-control': 'max-age=10', etag: '"v1"', 'x-version': '1' }),
      'HEAD /item': () => ({
        headers: { date: httpDate(clock), 'cache-control': 'max-age=600', etag: '"v1"', 'x-version': '2' },
      }),
    });
    await (await fetch(`${server.url}/item`)).text();
    await stored();
    await clock.advance(10_000);
    const head = await fetch(`${server.url}/item`, { method: 'HEAD' });
    expect([cacheStatus(head), server.requests.at(-1)?.method]).toEqual(['miss', 'HEAD']);
    await stored(2);
    const hit = await fetch(`${server.url}/item`);
    expect([cacheStatus(hit), hit.headers.get('x-version'), await hit.text()]).toEqual(['hit', '2', 'response 1']);
  });

  it('does not freshen a stored GET from a HEAD with another validator', async () => {
    const { clock, fetch, stored } = client();
    const server = await createTestServer({
      'GET /item': counted(clock, { 'cache-control': 'max-age=10', etag: '"v1"' }),
      'HEAD /item': () => ({ headers: { date: httpDate(clock), 'cache-control': 'max-age=600', etag: '"v2"' } }),
    });
    await (await fetch(`${server.url}/item`)).text();
    await stored();
    await clock.advance(10_000);
    await fetch(`${server.url}/item`, { method: 'HEAD' });
    await (await fetch(`${server.url}/item`)).text();
    expect(server.requests.map((request) => request.method)).toEqual(['GET', 'HEAD', 'GET']);
  });
});
