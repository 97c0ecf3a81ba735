import { isConfigError } from '@ferrule/core';
import type { RecordedRequest } from '@ferrule/testing';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { dataset, offsetApi, query, thrown } from '../test/support.ts';
import { offset } from './offset.ts';
import { paginate } from './paginate.ts';

const offsets = (requests: RecordedRequest[]) => requests.map((request) => query(request).get('offset'));

describe('offset', () => {
  it('walks offsets until X-Total-Count is reached, every item once and in order', async () => {
    const items = dataset(2_345);
    const server = await createTestServer({ 'GET /items': offsetApi(items) });
    const result = await paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 100 }) }).toArray();
    expect(result).toEqual(items);
    expect(server.requests).toHaveLength(24);
    expect(server.requests[1]?.url).toBe('/items?offset=100&limit=100');
  });

  it('stops at the total without asking for the empty page after it', async () => {
    const server = await createTestServer({ 'GET /items': offsetApi(dataset(30)) });
    await paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }) }).toArray();
    expect(offsets(server.requests)).toEqual(['0', '10', '20']);
  });

  it('without a total, stops on a page shorter than the limit', async () => {
    const server = await createTestServer({ 'GET /items': offsetApi(dataset(25), { totalHeader: false }) });
    const result = await paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }) }).toArray();
    expect(result).toHaveLength(25);
    expect(offsets(server.requests)).toEqual(['0', '10', '20']);
  });

  it('without a total, stops on an empty page when the last page was full', async () => {
    const server = await createTestServer({ 'GET /items': offsetApi(dataset(20), { totalHeader: false }) });
    await paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }) }).toArray();
    expect(offsets(server.requests)).toEqual(['0', '10', '20']);
  });

  it('with a total, goes on past a page the server capped, losing nothing', async () => {
    const items = dataset(100);
    const server = await createTestServer({ 'GET /items': offsetApi(items, { maxLimit: 30 }) });
    const result = await paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 50 }) }).toArray();
    expect(result).toEqual(items);
    expect(offsets(server.requests)).toEqual(['0', '30', '60', '90']);
  });

  it('reads the total from a body path and the items from another', async () => {
    const items = dataset(45);
    const server = await createTestServer({
      'GET /items': (request) => {
        const start = Number(query(request).get('skip'));
        return { json: { results: items.slice(start, start + 20), count: items.length } };
      },
    });
    const strategy = offset({ offsetParam: 'skip', limitParam: 'take', limit: 20, total: 'count' });
    const result = await paginate(fetch, `${server.url}/items?sort=id`, { strategy, items: 'results' }).toArray();
    expect(result).toEqual(items);
    expect(server.requests.map((request) => request.url)).toEqual([
      '/items?sort=id&skip=0&take=20',
      '/items?sort=id&skip=20&take=20',
      '/items?sort=id&skip=40&take=20',
    ]);
  });

  it('starts at a given offset', async () => {
    const items = dataset(30);
    const server = await createTestServer({ 'GET /items': offsetApi(items) });
    const result = await paginate(fetch, `${server.url}/items`, {
      strategy: offset({ limit: 10, start: 15 }),
    }).toArray();
    expect(result).toEqual(items.slice(15));
  });

  it.each([
    [{ limit: 0 }, 'offset.limit'],
    [{ limit: 2.5 }, 'offset.limit'],
    [{ start: -1 }, 'offset.start'],
    [{ limitParam: '' }, 'offset.limitParam'],
    [{ total: 5 }, 'offset.total'],
    [{ pageSize: 10 }, 'offset.pageSize'],
  ])('refuses %o with a ConfigError naming %s', async (options, option) => {
    const error = await thrown(() => offset(options as never));
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });
});
