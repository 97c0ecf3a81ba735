import { isConfigError, isPaginationError, type PaginationError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { dataset, query, thrown } from '../test/support.ts';
import { nextUrl } from './next-url.ts';
import { paginate } from './paginate.ts';

describe('nextUrl', () => {
  it('follows the next URL in the body, as Django REST framework sends it', async () => {
    const items = dataset(1_000);
    const server = await createTestServer({
      'GET /items/': (request) => {
        const start = Number(query(request).get('offset') ?? 0);
        const more = start + 100 < items.length;
        return {
          json: {
            count: items.length,
            next: more ? `${server.url}/items/?limit=100&offset=${start + 100}` : null,
            results: items.slice(start, start + 100),
          },
        };
      },
    });
    const strategy = nextUrl({ next: 'next' });
    expect(await paginate(fetch, `${server.url}/items/`, { strategy, items: 'results' }).toArray()).toEqual(items);
    expect(server.requests).toHaveLength(10);
  });

  it('resolves a relative next URL and drops its fragment', async () => {
    const server = await createTestServer({
      'GET /a/items': { json: { value: [1], '@odata.nextLink': 'more#top' } },
      'GET /a/more': { json: { value: [2] } },
    });
    const strategy = nextUrl({ next: (body) => (body as Record<string, unknown>)['@odata.nextLink'] });
    expect(await paginate(fetch, `${server.url}/a/items`, { strategy, items: 'value' }).toArray()).toEqual([1, 2]);
    expect(server.requests.map((request) => request.url)).toEqual(['/a/items', '/a/more']);
  });

  it.each([
    ['a number', 42, 'bad-link'],
    ['a URL that does not parse', 'http://[::1', 'bad-link'],
    ['a javascript: URL', 'javascript:alert(1)', 'cross-origin'],
  ])('refuses %s as the next URL with a PaginationError', async (_case, next, reason) => {
    const server = await createTestServer({ 'GET /items': { json: { data: [1], next } } });
    const strategy = nextUrl({ next: 'next' });
    const error = await thrown(() => paginate(fetch, `${server.url}/items`, { strategy, items: 'data' }).toArray());
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a missing next option with a ConfigError', async () => {
    const error = await thrown(() => nextUrl({} as never));
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe('nextUrl.next');
  });
});
