import { isConfigError, isPaginationError, type PaginationError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { cursorApi, dataset, query, thrown } from '../test/support.ts';
import { cursor } from './cursor.ts';
import { paginate } from './paginate.ts';

describe('cursor', () => {
  it('follows the cursor in the body, every item once and in order', async () => {
    const items = dataset(3_000);
    const server = await createTestServer({ 'GET /items': cursorApi(items, 250) });
    const strategy = cursor({ next: 'next_cursor' });
    const result = await paginate(fetch, `${server.url}/items`, { strategy, items: 'data' }).toArray();
    expect(result).toEqual(items);
    expect(server.requests).toHaveLength(12);
    expect(server.requests.slice(0, 2).map((request) => request.url)).toEqual(['/items', '/items?cursor=250']);
  });

  it('follows a cursor sent in a header', async () => {
    const items = dataset(25);
    const server = await createTestServer({
      'GET /items': (request) => {
        const start = Number(query(request).get('after') ?? 0);
        const following = start + 10 < items.length ? { 'x-next-cursor': String(start + 10) } : {};
        return { json: items.slice(start, start + 10), headers: following };
      },
    });
    const strategy = cursor({ param: 'after', next: (_body, response) => response.headers.get('x-next-cursor') });
    expect(await paginate(fetch, `${server.url}/items`, { strategy }).toArray()).toEqual(items);
    expect(server.requests.map((request) => query(request).get('after'))).toEqual([null, '10', '20']);
  });

  it('turns a numeric cursor into a string', async () => {
    const server = await createTestServer({
      'GET /items': [{ json: { data: [1], next: 7 } }, { json: { data: [2], next: null } }],
    });
    const result = await paginate(fetch, `${server.url}/items`, {
      strategy: cursor({ next: 'next' }),
      items: 'data',
    }).toArray();
    expect(result).toEqual([1, 2]);
    expect(server.requests[1]?.url).toBe('/items?cursor=7');
  });

  it('stops on an empty page even when it names a cursor', async () => {
    const server = await createTestServer({ 'GET /items': { json: { data: [], next: 'again' } } });
    const strategy = cursor({ next: 'next' });
    expect(await paginate(fetch, `${server.url}/items`, { strategy, items: 'data' }).toArray()).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('throws a PaginationError on a cursor that comes back, after delivering the pages before it', async () => {
    const server = await createTestServer({
      'GET /items': (request) => {
        const at = query(request).get('cursor');
        // a → b → a: the server loops.
        return { json: { data: [at ?? 'first'], next: at === 'a' ? 'b' : 'a' } };
      },
    });
    const delivered: unknown[] = [];
    const paginator = paginate(fetch, `${server.url}/items`, { strategy: cursor({ next: 'next' }), items: 'data' });
    const error = await thrown(async () => {
      for await (const item of paginator.items()) delivered.push(item);
    });
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('loop');
    expect(delivered).toEqual(['first', 'a', 'b']);
    expect(server.requests).toHaveLength(3);
  });

  it('refuses a cursor that is neither a string nor a number', async () => {
    const server = await createTestServer({ 'GET /items': { json: { data: [1], next: { id: 2 } } } });
    const paginator = paginate(fetch, `${server.url}/items`, { strategy: cursor({ next: 'next' }), items: 'data' });
    const error = await thrown(() => paginator.toArray());
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('bad-cursor');
  });

  it.each([
    [{}, 'cursor.next'],
    [{ next: 'next', param: '' }, 'cursor.param'],
  ])('refuses %o with a ConfigError naming %s', async (options, option) => {
    const error = await thrown(() => cursor(options as never));
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });
});
