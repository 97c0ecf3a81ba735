import { createTestServer, type RecordedRequest, type ResponseSpec } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, httpDate } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

// A stored response fresh for 100 s, with an ETag the server honours.
const setup = async (cacheControl = 'max-age=100') => {
  const tools = client();
  const server = await createTestServer({
    'GET /doc': (request: RecordedRequest, { count }): ResponseSpec =>
      request.headers['if-none-match'] === '"v"'
        ? { status: 304, headers: { date: httpDate(tools.clock), etag: '"v"', 'cache-control': cacheControl } }
        : {
            body: `body ${count}`,
            headers: { date: httpDate(tools.clock), etag: '"v"', 'cache-control': cacheControl },
          },
  });
  await (await tools.fetch(`${server.url}/doc`)).text();
  await tools.stored();
  const get = async (init: RequestInit = {}) => {
    const response = await tools.fetch(`${server.url}/doc`, init);
    return { status: cacheStatus(response), code: response.status, text: await response.text() };
  };
  return { ...tools, server, get };
};

const cc = (value: string): RequestInit => ({ headers: { 'cache-control': value } });

describe('request Cache-Control (RFC 9111 §5.2.1)', () => {
  it('no-cache validates a fresh stored response instead of using it', async () => {
    const { get, server } = await setup();
    expect(await get(cc('no-cache'))).toMatchObject({ status: 'revalidated', text: 'body 1' });
    expect(server.requests[1]?.headers['if-none-match']).toBe('"v"');
  });

  it('Pragma: no-cache counts only when there is no Cache-Control', async () => {
    const { get } = await setup();
    expect((await get({ headers: { pragma: 'no-cache' } })).status).toBe('revalidated');
    expect((await get({ headers: { pragma: 'no-cache', 'cache-control': 'max-stale' } })).status).toBe('hit');
  });

  it('no-store neither reads nor writes the cache', async () => {
    const { get, server } = await setup();
    expect(await get(cc('no-store'))).toMatchObject({ status: 'bypass', text: 'body 2' });
    expect(await get()).toMatchObject({ status: 'hit', text: 'body 1' });
    expect(server.requests).toHaveLength(2);
  });

  it('max-age refuses a response at least that old, and max-age=0 always validates', async () => {
    const { clock, get } = await setup();
    expect((await get(cc('max-age=0'))).status).toBe('revalidated');
    await clock.advance(29_999);
    expect((await get(cc('max-age=30'))).status).toBe('hit');
    await clock.advance(1);
    expect((await get(cc('max-age=30'))).status).toBe('revalidated');
  });

  it('min-fresh wants a response that stays fresh at least that long', async () => {
    const { clock, get } = await setup();
    await clock.advance(40_000);
    expect((await get(cc('min-fresh=60'))).status).toBe('hit');
    await clock.advance(1);
    expect((await get(cc('min-fresh=60'))).status).toBe('revalidated');
  });

  it('max-stale accepts a stale response up to that staleness, or any without a value', async () => {
    const { clock, get } = await setup();
    await clock.advance(130_000);
    expect(await get(cc('max-stale=30'))).toMatchObject({ status: 'stale', text: 'body 1' });
    expect(await get(cc('max-stale'))).toMatchObject({ status: 'stale' });
    await clock.advance(1);
    expect((await get(cc('max-stale=30'))).status).toBe('revalidated');
  });

  it('max-stale never overrides must-revalidate', async () => {
    const { clock, get } = await setup('max-age=100, must-revalidate');
    await clock.advance(100_000);
    expect((await get(cc('max-stale'))).status).toBe('revalidated');
  });

  it('only-if-cached answers from the store or with a 504, never from the network', async () => {
    const { clock, get, fetch, server } = await setup();
    expect(await get(cc('only-if-cached'))).toMatchObject({ status: 'hit', code: 200 });
    await clock.advance(100_000);
    expect(await get(cc('only-if-cached'))).toMatchObject({ status: 'miss', code: 504, text: '' });
    const cold = await fetch(`${server.url}/never`, cc('only-if-cached'));
    expect(cold.status).toBe(504);
    expect(server.requests).toHaveLength(1);
  });
});

describe('fetch cache modes', () => {
  it("maps 'no-store', 'no-cache', 'reload', 'force-cache' and 'only-if-cached' onto the cache", async () => {
    const { clock, get, server } = await setup();
    expect((await get({ cache: 'no-store' })).status).toBe('bypass');
    expect((await get({ cache: 'no-cache' })).status).toBe('revalidated');
    expect(await get({ cache: 'reload' })).toMatchObject({ status: 'miss', text: 'body 4' });
    expect(server.requests.at(-1)?.headers['if-none-match']).toBeUndefined();
    await clock.advance(1_000_000);
    expect(await get({ cache: 'force-cache' })).toMatchObject({ status: 'stale', text: 'body 4' });
    expect(await get({ cache: 'only-if-cached', mode: 'same-origin' })).toMatchObject({
      status: 'stale',
      text: 'body 4',
    });
    expect(server.requests).toHaveLength(4);
  });
});
