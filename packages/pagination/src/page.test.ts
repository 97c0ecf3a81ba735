import { isConfigError, isPaginationError, type PaginationError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { dataset, pageApi, pageArrayApi, query, thrown } from '../test/support.ts';
import { page } from './page.ts';
import { paginate } from './paginate.ts';

describe('page', () => {
  it('walks page numbers until the total in the body is reached, every item once and in order', async () => {
    const items = dataset(2_010);
    const server = await createTestServer({ 'GET /items': pageApi(items) });
    const strategy = page({ perPage: 100, total: 'meta.total' });
    const result = await paginate(fetch, `${server.url}/items`, { strategy, items: 'data' }).toArray();
    expect(result).toEqual(items);
    expect(server.requests).toHaveLength(21);
    expect(server.requests[0]?.url).toBe('/items?page=1&per_page=100');
  });

  it('stops past the last page when only the number of pages is known', async () => {
    const server = await createTestServer({ 'GET /items': pageApi(dataset(25)) });
    const strategy = page({ perPage: 10, total: (body) => (body as { meta: { pages: number } }).meta.pages * 10 });
    const result = await paginate(fetch, `${server.url}/items`, { strategy, items: 'data' }).toArray();
    expect(result).toHaveLength(25);
    expect(server.requests.map((request) => query(request).get('page'))).toEqual(['1', '2', '3', '4']);
  });

  it('reads X-Total-Count by default', async () => {
    const items = dataset(20);
    const server = await createTestServer({ 'GET /items': pageArrayApi(items, { param: 'p', totalHeader: true }) });
    const result = await paginate(fetch, `${server.url}/items`, { strategy: page({ pageParam: 'p' }) }).toArray();
    expect(result).toEqual(items);
    expect(server.requests).toHaveLength(2);
  });

  it('without a total, stops on a page shorter than perPage', async () => {
    const items = dataset(25);
    const server = await createTestServer({ 'GET /items': (request) => ({ json: pageApi(items)(request).json }) });
    const result = await paginate(fetch, `${server.url}/items`, {
      strategy: page({ perPage: 10, total: () => undefined }),
      items: 'data',
    }).toArray();
    expect(result).toEqual(items);
    expect(server.requests).toHaveLength(3);
  });

  it('without a total or perPage, goes on until an empty page', async () => {
    const items = dataset(20);
    const server = await createTestServer({ 'GET /items': pageArrayApi(items) });
    const result = await paginate(fetch, `${server.url}/items`, { strategy: page() }).toArray();
    expect(result).toEqual(items);
    expect(server.requests.map((request) => request.url)).toEqual(['/items?page=1', '/items?page=2', '/items?page=3']);
  });

  it('throws a PaginationError when a page repeats the one before, as json-server 1 does past its last page', async () => {
    const items = dataset(20);
    const server = await createTestServer({ 'GET /items': pageArrayApi(items, { lastPage: 2 }) });
    const delivered: unknown[] = [];
    const error = await thrown(async () => {
      for await (const item of paginate(fetch, `${server.url}/items`, { strategy: page() }).items())
        delivered.push(item);
    });
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('loop');
    expect(delivered).toEqual(items);
    expect(server.requests).toHaveLength(3);
  });

  it('counts pages from a given start', async () => {
    const items = dataset(20);
    const server = await createTestServer({ 'GET /items': pageArrayApi(items, { first: 0, totalHeader: true }) });
    const result = await paginate(fetch, `${server.url}/items`, { strategy: page({ start: 0 }) }).toArray();
    expect(result).toEqual(items);
    expect(server.requests.map((request) => query(request).get('page'))).toEqual(['0', '1']);
  });

  it('refuses a total that is no count with a PaginationError', async () => {
    const server = await createTestServer({ 'GET /items': { json: { data: [{ id: 1 }], total: 'many' } } });
    const error = await thrown(() =>
      paginate(fetch, `${server.url}/items`, { strategy: page({ total: 'total' }), items: 'data' }).toArray(),
    );
    expect(isPaginationError(error)).toBe(true);
    expect((error as Error).message).toContain('Total is not a count');
  });

  it.each([
    [{ perPage: 0 }, 'page.perPage'],
    [{ start: 1.5 }, 'page.start'],
    [{ pageParam: 3 }, 'page.pageParam'],
    [{ total: true }, 'page.total'],
    [{ totalPages: 'pages' }, 'page.totalPages'],
  ])('refuses %o with a ConfigError naming %s', async (options, option) => {
    const error = await thrown(() => page(options as never));
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });
});
