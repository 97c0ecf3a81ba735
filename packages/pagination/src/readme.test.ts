import { createFetch, editable, type Middleware } from '@ferrule/core';
import type { RecordedRequest } from '@ferrule/testing';
import { createTestServer } from '@ferrule/testing/vitest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cursorApi, dataset, type Item, linkApi, offsetApi, pageApi, query } from '../test/support.ts';
import {
  cursor,
  linkHeader,
  nextUrl,
  offset,
  type PaginationCheckpoint,
  type PaginationStrategy,
  page,
  paginate,
  timeWindow,
} from './index.ts';

// Each README example, with https://api.example.com pointed at a local test server.
afterEach(() => {
  vi.restoreAllMocks();
});

const items = dataset(250);

describe('README examples', () => {
  it('runs the first example: a chain with a middleware, the Link header, maxItems', async () => {
    const server = await createTestServer({ 'GET /repos/acme/widgets/issues': linkApi(dataset(1_200), 100) });
    const logged: unknown[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void logged.push(line));

    // --- README example ---
    const userAgent: Middleware = (request, context, next) => {
      const stamped = editable(request, context);
      stamped.headers.set('user-agent', 'issue-sync/1.0');
      return next(stamped, context);
    };
    const fetch = createFetch({ use: [userAgent] }); // your client: retry, rate limit, auth…

    const issues = paginate(fetch, `${server.url}/repos/acme/widgets/issues?per_page=100`, {
      strategy: linkHeader(),
      maxItems: 1_000,
    });
    for await (const issue of issues.items()) console.log(issue);
    // --- end of example ---

    expect(logged).toEqual(dataset(1_000));
    expect(server.requests).toHaveLength(10);
    expect(server.requests.every((request) => request.headers['user-agent'] === 'issue-sync/1.0')).toBe(true);
  });

  it('runs the offset example', async () => {
    const server = await createTestServer({ 'GET /products': offsetApi(items) });
    const products = paginate(fetch, `${server.url}/products`, {
      strategy: offset({ limitParam: 'limit', offsetParam: 'offset', limit: 100 }),
    });
    expect(await products.toArray()).toEqual(items);
    expect(server.requests.map((request) => request.url)).toEqual([
      '/products?offset=0&limit=100',
      '/products?offset=100&limit=100',
      '/products?offset=200&limit=100',
    ]);
  });

  it('runs the page example', async () => {
    const server = await createTestServer({ 'GET /orders': pageApi(items) });
    const orders = paginate(fetch, `${server.url}/orders`, {
      strategy: page({ pageParam: 'page', perPageParam: 'per_page', perPage: 50, total: 'meta.total' }),
      items: 'data',
    });
    expect(await orders.toArray()).toEqual(items);
    expect(server.requests).toHaveLength(5);
  });

  it('runs the cursor examples, in the body and in a header', async () => {
    const server = await createTestServer({
      'GET /events': (request) => {
        const after = Number(query(request).get('after') ?? 0);
        const data = items.slice(after, after + 100);
        return { json: { data, meta: { next_cursor: after + 100 < items.length ? String(after + 100) : null } } };
      },
      'GET /headers': (request) => {
        const { json } = cursorApi(items, 100)(request) as { json: { data: Item[]; next_cursor: string | null } };
        return { json: json.data, headers: json.next_cursor ? { 'x-next-cursor': json.next_cursor } : {} };
      },
    });
    const events = paginate(fetch, `${server.url}/events`, {
      strategy: cursor({ param: 'after', next: 'meta.next_cursor' }),
      items: 'data',
    });
    expect(await events.toArray()).toEqual(items);
    const strategy = cursor({ param: 'cursor', next: (_body, response) => response.headers.get('x-next-cursor') });
    expect(await paginate(fetch, `${server.url}/headers`, { strategy }).toArray()).toEqual(items);
  });

  it('runs the linkHeader example', async () => {
    const server = await createTestServer({ 'GET /orgs/acme/repos': linkApi(items, 100) });
    const repos = paginate(fetch, `${server.url}/orgs/acme/repos?per_page=100`, {
      strategy: linkHeader(),
    });
    expect(await repos.toArray()).toEqual(items);
  });

  it('runs the nextUrl example', async () => {
    const server = await createTestServer({
      'GET /customers/': (request) => {
        const start = Number(query(request).get('offset') ?? 0);
        const next = start + 100 < items.length ? `/customers/?offset=${start + 100}` : null;
        return { json: { count: items.length, next, results: items.slice(start, start + 100) } };
      },
    });
    const customers = paginate(fetch, `${server.url}/customers/`, {
      strategy: nextUrl({ next: 'next' }), // Django REST framework
      items: 'results',
    });
    expect(await customers.toArray()).toEqual(items);
  });

  it('runs the timeWindow example', async () => {
    const hourly = dataset(48, Date.parse('2025-01-01T00:00:00Z')).map((item, index) => ({
      ...item,
      ts: Date.parse('2025-01-01T00:00:00Z') + index * 30 * 60 * 1_000,
    }));
    const server = await createTestServer({
      'GET /audit-log': (request: RecordedRequest) => {
        const since = Date.parse(query(request).get('since') ?? '');
        const until = Date.parse(query(request).get('until') ?? '');
        return { json: hourly.filter((item) => item.ts >= since && item.ts < until) };
      },
    });
    const audit = paginate(fetch, `${server.url}/audit-log`, {
      strategy: timeWindow({
        since: '2025-01-01T00:00:00Z',
        until: '2025-01-02T00:00:00Z',
        stepMs: 60 * 60 * 1_000,
      }),
    });
    expect(await audit.toArray()).toEqual(hourly);
    expect(server.requests).toHaveLength(24);
  });

  it('runs the custom strategy example', async () => {
    const server = await createTestServer({
      'GET /days': (request) => ({
        json: query(request).get('day') === '2025-01-05' ? [] : [query(request).get('day')],
      }),
    });
    const everyOtherDay: PaginationStrategy<string> = {
      name: 'every-other-day',
      start: () => '2025-01-01',
      isPosition: (value): value is string => typeof value === 'string',
      url(url, day) {
        url.searchParams.set('day', day);
        return url;
      },
      next: ({ position, items: some }) =>
        some.length ? new Date(Date.parse(position) + 2 * 86_400_000).toISOString().slice(0, 10) : undefined,
    };
    expect(await paginate(fetch, `${server.url}/days`, { strategy: everyOtherDay }).toArray()).toEqual([
      '2025-01-01',
      '2025-01-03',
    ]);
  });

  it('runs the paginator example', async () => {
    const server = await createTestServer({
      'GET /items': (request) => {
        const answer = offsetApi(items)(request);
        return { ...answer, headers: { ...answer.headers, 'x-ratelimit-remaining': '42' } };
      },
    });
    const url = `${server.url}/items`;
    const logged: unknown[][] = [];
    vi.spyOn(console, 'log').mockImplementation((...line: unknown[]) => void logged.push(line));
    for await (const current of paginate(fetch, url, { strategy: offset() })) {
      console.log(current.number, current.index, current.items.length, current.total, current.url);
      console.log(current.response.headers.get('x-ratelimit-remaining'), current.body);
    }
    expect(logged).toEqual([
      [1, 0, 100, 250, `${url}?offset=0&limit=100`],
      ['42', items.slice(0, 100)],
      [2, 100, 100, 250, `${url}?offset=100&limit=100`],
      ['42', items.slice(100, 200)],
      [3, 200, 50, 250, `${url}?offset=200&limit=100`],
      ['42', items.slice(200)],
    ]);
  });

  it('runs the sync job example, which resumes after a failure with nothing lost or repeated', async () => {
    const server = await createTestServer({
      'GET /products': (request, context) =>
        context.count === 2 ? { status: 503, json: { error: 'try later' } } : offsetApi(items)(request),
    });
    type Product = Item;
    const records = new Map<string, string | Product>();
    const db = {
      get: async (key: string) => records.get(key) as string | undefined,
      put: async (key: string, value: string | Product) => void records.set(key, value),
    };
    const run = async () => {
      // --- README example ---
      const saved = await db.get('products-sync'); // undefined on the first run
      const products = paginate<Product>(fetch, `${server.url}/products`, {
        strategy: offset({ limit: 100 }),
        ...(saved && { resumeFrom: JSON.parse(saved) as PaginationCheckpoint }),
      });
      for await (const product of products.items()) {
        await db.put(`product:${product.id}`, product);
        await db.put('products-sync', JSON.stringify(products.checkpoint()));
      }
      // --- end of example ---
    };
    await expect(run()).rejects.toThrow('answered HTTP 503');
    expect(records.size).toBe(101);
    await run();
    expect([...records.keys()].filter((key) => key.startsWith('product:'))).toEqual(
      items.map((item) => `product:${item.id}`),
    );
    expect(JSON.parse(records.get('products-sync') as string)).toMatchObject({ done: true });
  });
});
