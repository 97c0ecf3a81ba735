import { isConfigError, isPaginationError, type PaginationError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { dataset, linkApi, query, thrown } from '../test/support.ts';
import { linkHeader } from './link-header.ts';
import { paginate } from './paginate.ts';

const pageOf = (items: unknown[], link?: string) => ({ json: items, ...(link !== undefined && { headers: { link } }) });

describe('linkHeader', () => {
  it('follows rel="next" among several links, every item once and in order', async () => {
    const items = dataset(2_345);
    const server = await createTestServer({ 'GET /items': linkApi(items, 100) });
    expect(await paginate(fetch, `${server.url}/items`).toArray()).toEqual(items);
    expect(server.requests).toHaveLength(24);
  });

  it('resolves relative links against the URL of the page', async () => {
    const server = await createTestServer({
      'GET /v1/items': [pageOf([1], '<?page=2>; rel="next"'), pageOf([2], '<more?page=3>; rel=next')],
      'GET /v1/more': pageOf([3], '</v1/last>; rel="next"'),
      'GET /v1/last': pageOf([4]),
    });
    expect(await paginate(fetch, `${server.url}/v1/items`, { strategy: linkHeader() }).toArray()).toEqual([1, 2, 3, 4]);
    expect(server.requests.map((request) => request.url)).toEqual([
      '/v1/items',
      '/v1/items?page=2',
      '/v1/more?page=3',
      '/v1/last',
    ]);
  });

  it('resolves relative links against the URL after a redirect', async () => {
    const server = await createTestServer({
      'GET /items': { status: 302, headers: { location: '/v2/items' } },
      'GET /v2/items': (request) =>
        query(request).get('page') ? pageOf([2]) : pageOf([1], '<items?page=2>; rel="next"'),
    });
    expect(await paginate(fetch, `${server.url}/items`).toArray()).toEqual([1, 2]);
    expect(server.requests.at(-1)?.url).toBe('/v2/items?page=2');
  });

  it('finds next in a rel list, case-insensitively, and follows another relation when asked', async () => {
    const server = await createTestServer({
      'GET /a': pageOf([1], '</b>; rel="NEXT last"'),
      'GET /b': pageOf([2], '</c>; rel="older"'),
      'GET /c': pageOf([3]),
    });
    expect(await paginate(fetch, `${server.url}/a`).toArray()).toEqual([1, 2]);
    server.reset();
    expect(await paginate(fetch, `${server.url}/b`, { strategy: linkHeader({ rel: 'Older' }) }).toArray()).toEqual([
      2, 3,
    ]);
  });

  it('ignores a next link with an anchor: it is about another resource (RFC 8288 §3.2)', async () => {
    const server = await createTestServer({
      'GET /a': pageOf([1], '</elsewhere>; rel="next"; anchor="/other", </b>; rel="next"'),
      'GET /b': pageOf([2]),
    });
    expect(await paginate(fetch, `${server.url}/a`).toArray()).toEqual([1, 2]);
    expect(server.requests.map((request) => request.url)).toEqual(['/a', '/b']);
  });

  it('stops on no Link header, on an empty one, and on one without next', async () => {
    const server = await createTestServer({
      'GET /none': pageOf([1]),
      'GET /empty': pageOf([1], ''),
      'GET /last': pageOf([1], '</first>; rel="first", </none>; rel="prev"'),
    });
    for (const path of ['/none', '/empty', '/last']) {
      expect(await paginate(fetch, `${server.url}${path}`).toArray()).toEqual([1]);
    }
    expect(server.requests).toHaveLength(3);
  });

  it('refuses a next link to another origin, naming it, and sends nothing there', async () => {
    const elsewhere = await createTestServer({ 'GET /steal': pageOf([666]) });
    const server = await createTestServer({ 'GET /items': pageOf([1], `<${elsewhere.url}/steal>; rel="next"`) });
    const delivered: unknown[] = [];
    const error = await thrown(async () => {
      const paginator = paginate(fetch, `${server.url}/items`, {
        init: { headers: { authorization: 'Bearer s3cr3t' } },
      });
      for await (const item of paginator.items()) delivered.push(item);
    });
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('cross-origin');
    expect((error as Error).message).toContain(elsewhere.url);
    expect((error as Error).message).not.toContain('s3cr3t');
    expect(delivered).toEqual([1]);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('delivers the page before refusing its cross-origin link, with pages fetched ahead too', async () => {
    const elsewhere = await createTestServer({ 'GET /steal': pageOf([666]) });
    const server = await createTestServer({
      'GET /items': [pageOf([1], '</items?page=2>; rel="next"'), pageOf([2], `<${elsewhere.url}/steal>; rel="next"`)],
    });
    const delivered: unknown[] = [];
    const error = await thrown(async () => {
      for await (const item of paginate(fetch, `${server.url}/items`, { concurrency: 4 }).items()) delivered.push(item);
    });
    expect((error as PaginationError).reason).toBe('cross-origin');
    expect(delivered).toEqual([1, 2]);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('follows a next link to an origin that allowOrigins names', async () => {
    const elsewhere = await createTestServer({ 'GET /more': pageOf([2]) });
    const server = await createTestServer({ 'GET /items': pageOf([1], `<${elsewhere.url}/more>; rel="next"`) });
    const paginator = paginate(fetch, `${server.url}/items`, { allowOrigins: [`${elsewhere.url}/any/path`] });
    expect(await paginator.toArray()).toEqual([1, 2]);
    expect(elsewhere.requests).toHaveLength(1);
  });

  it('throws a PaginationError on a Link that leads back to an earlier page', async () => {
    const server = await createTestServer({
      'GET /items': (request) => {
        const current = Number(query(request).get('page') ?? 1);
        return pageOf([current], `</items?page=${current === 3 ? 1 : current + 1}>; rel="next"`);
      },
    });
    const error = await thrown(() => paginate(fetch, `${server.url}/items?page=1`).toArray());
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('loop');
    expect(server.requests).toHaveLength(3);
  });

  it('throws a PaginationError on a malformed Link header, without delivering that page', async () => {
    const server = await createTestServer({
      'GET /items': [pageOf([1], '</items?page=2>; rel="next"'), pageOf([2], '</items?page=3; rel="next"')],
    });
    const delivered: unknown[] = [];
    const paginator = paginate(fetch, `${server.url}/items`);
    const error = await thrown(async () => {
      for await (const item of paginator.items()) delivered.push(item);
    });
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('malformed-link');
    expect(delivered).toEqual([1]);
    expect(paginator.checkpoint()).toMatchObject({ position: `${server.url}/items?page=2`, skip: 0, page: 2 });
  });

  it('refuses an empty rel with a ConfigError', async () => {
    const error = await thrown(() => linkHeader({ rel: '' }));
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe('linkHeader.rel');
  });
});
