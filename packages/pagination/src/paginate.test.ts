import {
  createFakeClock,
  createFetch,
  type FerruleEvent,
  isConfigError,
  isPaginationError,
  isParseError,
  isValidationError,
  type Middleware,
  type PaginationError,
  type ValidationError,
} from '@ferrule/core';
import type { RouteHandler } from '@ferrule/testing';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { dataset, linkApi, offsetApi, pageApi, thrown } from '../test/support.ts';
import { cursor } from './cursor.ts';
import { offset } from './offset.ts';
import { page } from './page.ts';
import { type Page, paginate } from './paginate.ts';

describe('paginate', () => {
  it('iterates pages with their number, index, URL, total, body and response', async () => {
    const items = dataset(25);
    const server = await createTestServer({ 'GET /items': offsetApi(items) });
    const pages: Page<unknown>[] = [];
    for await (const current of paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }) })) {
      pages.push(current);
    }
    expect(
      pages.map(({ number, index, items: some, total }) => ({ number, index, count: some.length, total })),
    ).toEqual([
      { number: 1, index: 0, count: 10, total: 25 },
      { number: 2, index: 10, count: 10, total: 25 },
      { number: 3, index: 20, count: 5, total: 25 },
    ]);
    expect(pages[1]?.url).toBe(`${server.url}/items?offset=10&limit=10`);
    expect(pages[1]?.response.headers.get('x-total-count')).toBe('25');
    expect(pages[2]?.body).toEqual(items.slice(20));
  });

  it('follows the Link header by default', async () => {
    const items = dataset(30);
    const server = await createTestServer({ 'GET /items': linkApi(items) });
    expect(await paginate(fetch, `${server.url}/items`).toArray()).toEqual(items);
  });

  it('extracts items with a function', async () => {
    const server = await createTestServer({ 'GET /items': { json: { page: { entries: [1, 2] } } } });
    const items = (body: unknown) => (body as { page: { entries: number[] } }).page.entries;
    expect(await paginate(fetch, `${server.url}/items`, { items }).toArray()).toEqual([1, 2]);
  });

  it('throws a PaginationError when a page holds no array of items', async () => {
    const server = await createTestServer({ 'GET /items': { json: { data: { id: 1 } } } });
    const error = await thrown(() => paginate(fetch, `${server.url}/items`, { items: 'data' }).toArray());
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('not-array');
    expect((error as Error).message).toBe(`Page 1 items are not an array but object (GET ${server.url}/items)`);
  });

  it('throws a PaginationError when the items path is missing', async () => {
    const server = await createTestServer({ 'GET /items': { json: { results: [] } } });
    const error = await thrown(() => paginate(fetch, `${server.url}/items`, { items: 'data.items' }).toArray());
    expect((error as PaginationError).reason).toBe('not-array');
    expect((error as Error).message).toContain('not an array but undefined');
  });

  it('throws a PaginationError naming the status of a failed page, with the URL redacted', async () => {
    const server = await createTestServer({ 'GET /items': { status: 503, json: { error: 'down' } } });
    const error = await thrown(() => paginate(fetch, `${server.url}/items?api_key=s3cr3t`).toArray());
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('status');
    expect((error as Error).message).toBe(`Page 1 answered HTTP 503 (GET ${server.url}/items?api_key=[REDACTED])`);
  });

  it('throws a ParseError on a body that is not JSON, quoting none of it', async () => {
    const server = await createTestServer({
      'GET /items': { body: 'token=s3cr3t', headers: { 'content-type': 'text/plain' } },
    });
    const error = await thrown(() => paginate(fetch, `${server.url}/items`).toArray());
    expect(isParseError(error)).toBe(true);
    expect(error).toMatchObject({ status: 200, contentType: 'text/plain' });
    expect((error as Error).message).not.toContain('s3cr3t');
    expect((error as Error).cause).toBeUndefined();
  });

  it('treats 204 No Content and an empty body as an empty page', async () => {
    const server = await createTestServer({ 'GET /none': { status: 204 }, 'GET /blank': { body: ' ' } });
    expect(await paginate(fetch, `${server.url}/none`, { items: 'data' }).toArray()).toEqual([]);
    expect(await paginate(fetch, `${server.url}/blank`).toArray()).toEqual([]);
  });

  describe('schema', () => {
    const Item = v.object({
      id: v.number(),
      name: v.string(),
      ts: v.pipe(
        v.number(),
        v.transform((ms) => new Date(ms)),
      ),
    });

    it('validates every item and delivers the schema output, typed', async () => {
      const items = dataset(30);
      const server = await createTestServer({ 'GET /items': offsetApi(items) });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }), schema: Item });
      const result = await paginator.toArray();
      expectTypeOf(result).toEqualTypeOf<{ id: number; name: string; ts: Date }[]>();
      expect(result[29]).toEqual({ id: 30, name: 'item-30', ts: new Date(items[29]?.ts ?? 0) });
    });

    it('throws a ValidationError whose path starts with the index of the bad item, quoting no value', async () => {
      const bad = [...dataset(2), { id: 3, name: { secret: 's3cr3t' }, ts: 0 }];
      const server = await createTestServer({ 'GET /items': { json: bad } });
      const error = await thrown(() => paginate(fetch, `${server.url}/items`, { schema: Item }).toArray());
      expect(isValidationError(error)).toBe(true);
      expect((error as ValidationError).issues).toEqual([{ path: '2.name', message: expect.any(String) }]);
      expect((error as Error).message).toContain(`(GET ${server.url}/items)`);
      expect((error as Error).message).not.toContain('s3cr3t');
    });

    it('accepts an asynchronous Standard Schema', async () => {
      const server = await createTestServer({ 'GET /items': { json: [1, 2, 'three'] } });
      const schema = v.pipeAsync(
        v.number(),
        v.checkAsync(async (value) => value > 0, 'positive'),
      );
      const error = await thrown(() => paginate(fetch, `${server.url}/items`, { schema }).toArray());
      expect((error as ValidationError).issues[0]?.path).toBe('2');
    });
  });

  describe('limits', () => {
    it('stops after maxPages without asking for more', async () => {
      const server = await createTestServer({ 'GET /items': offsetApi(dataset(100)) });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }), maxPages: 3 });
      expect(await paginator.toArray()).toHaveLength(30);
      expect(server.requests).toHaveLength(3);
      expect(paginator.checkpoint()).toMatchObject({ position: 30, page: 4, done: false });
    });

    it('stops at maxItems, cutting the last page short', async () => {
      const items = dataset(100);
      const server = await createTestServer({ 'GET /items': offsetApi(items) });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }), maxItems: 25 });
      const pages: Page<unknown>[] = [];
      for await (const current of paginator) pages.push(current);
      expect(pages.map((current) => current.items.length)).toEqual([10, 10, 5]);
      expect(server.requests).toHaveLength(3);
      expect(paginator.checkpoint()).toMatchObject({ position: 20, skip: 5, done: false });
    });

    it('fetches no page ahead beyond maxItems or maxPages', async () => {
      const server = await createTestServer({ 'GET /items': offsetApi(dataset(1_000)) });
      const limited = (limits: { maxItems?: number; maxPages?: number }) =>
        paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 100 }), concurrency: 8, ...limits });
      expect(await limited({ maxItems: 250 }).toArray()).toHaveLength(250);
      expect(server.requests).toHaveLength(3);
      server.reset();
      expect(await limited({ maxPages: 2 }).toArray()).toHaveLength(200);
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('concurrency', () => {
    // Answers as `answer` does, after one of `delays` (so later pages may finish first), counting how many run at once.
    const tracked = (answer: RouteHandler, delays: number[]) => {
      const state = { active: 0, most: 0 };
      const handler: RouteHandler = async (request, context) => {
        state.active++;
        state.most = Math.max(state.most, state.active);
        await new Promise((resolve) => setTimeout(resolve, delays[context.count % delays.length]));
        state.active--;
        return answer(request, context);
      };
      return { state, handler };
    };

    it('fetches offset pages in parallel once the total is known, delivering items in order', async () => {
      const items = dataset(2_000);
      const { state, handler } = tracked(offsetApi(items), [5, 30, 15, 1]);
      const server = await createTestServer({ 'GET /items': handler });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 100 }), concurrency: 4 });
      expect(await paginator.toArray()).toEqual(items);
      expect(server.requests).toHaveLength(20);
      expect(state.most).toBe(4);
    });

    it('fetches numbered pages in parallel once the total is known, delivering items in order', async () => {
      const items = dataset(1_000);
      const { state, handler } = tracked(pageApi(items), [20, 1, 10]);
      const server = await createTestServer({ 'GET /items': handler });
      const strategy = page({ perPage: 50, total: 'meta.total' });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy, items: 'data', concurrency: 3 });
      expect(await paginator.toArray()).toEqual(items);
      expect(server.requests).toHaveLength(20);
      expect(state.most).toBe(3);
    });

    it('drops pages fetched ahead when a page comes back short, and loses nothing', async () => {
      const items = dataset(300);
      // The server caps pages at 30 items although 50 were asked for.
      const server = await createTestServer({ 'GET /items': offsetApi(items, { maxLimit: 30 }) });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 50 }), concurrency: 3 });
      expect(await paginator.toArray()).toEqual(items);
    });

    it('fetches one page ahead when the total is unknown', async () => {
      const items = dataset(40);
      const server = await createTestServer({ 'GET /items': linkApi(items) });
      const paginator = paginate(fetch, `${server.url}/items`, { concurrency: 4 });
      const iterator = paginator[Symbol.asyncIterator]();
      await iterator.next();
      await waitUntil(() => server.requests.length === 2);
      expect(server.requests.map((request) => request.url)).toEqual(['/items', '/items?page=2']);
      await iterator.return?.();
    });

    it('with concurrency 1, asks for the next page only when the consumer wants it', async () => {
      const server = await createTestServer({ 'GET /items': linkApi(dataset(40)) });
      // Counts the calls as they are made: a page fetched ahead would be asked for before next() resolves.
      const asked: string[] = [];
      const counting: typeof fetch = (input, init) => {
        asked.push(String(input));
        return fetch(input, init);
      };
      const iterator = paginate(counting, `${server.url}/items`)[Symbol.asyncIterator]();
      await iterator.next();
      expect(asked).toEqual([`${server.url}/items`]);
      await iterator.next();
      expect(asked).toEqual([`${server.url}/items`, `${server.url}/items?page=2`]);
      await iterator.return?.();
    });
  });

  describe('abort', () => {
    it('rejects with the abort reason while a page is in flight, and the request goes away', async () => {
      const server = await createTestServer({
        'GET /items': [
          { json: [1], headers: { link: '</items?page=2>; rel="next"' } },
          { json: [2], delayMs: 10_000 },
        ],
      });
      const controller = new AbortController();
      const delivered: unknown[] = [];
      const run = (async () => {
        for await (const item of paginate(fetch, `${server.url}/items`, { signal: controller.signal }).items()) {
          delivered.push(item);
        }
      })();
      await waitUntil(() => server.requests.length === 2);
      const reason = new Error('shutting down');
      controller.abort(reason);
      await expect(run).rejects.toBe(reason);
      expect(delivered).toEqual([1]);
      await waitUntil(() => server.requests[1]?.aborted === true);
    });

    it('aborts every page fetched ahead at once', async () => {
      const server = await createTestServer({
        'GET /items': [
          { json: dataset(10), headers: { 'x-total-count': '100' } },
          { json: [], delayMs: 10_000 },
        ],
      });
      const controller = new AbortController();
      const paginator = paginate(fetch, `${server.url}/items`, {
        strategy: offset({ limit: 10 }),
        concurrency: 4,
        signal: controller.signal,
      });
      const iterator = paginator[Symbol.asyncIterator]();
      await iterator.next();
      await waitUntil(() => server.requests.length === 5);
      controller.abort();
      await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
      await waitUntil(() => server.requests.slice(1).every((request) => request.aborted));
    });

    it('rejects at once when aborted between pages, asking for nothing more', async () => {
      const server = await createTestServer({ 'GET /items': linkApi(dataset(40)) });
      const controller = new AbortController();
      const iterator = paginate(fetch, `${server.url}/items`, { signal: controller.signal })[Symbol.asyncIterator]();
      await iterator.next();
      controller.abort(new Error('enough'));
      await expect(iterator.next()).rejects.toThrow('enough');
      expect(server.requests).toHaveLength(1);
    });

    it('follows the signal of an input Request', async () => {
      const server = await createTestServer({ 'GET /items': { json: [1], delayMs: 10_000 } });
      const controller = new AbortController();
      const input = new Request(`${server.url}/items`, { signal: controller.signal });
      const run = paginate(fetch, input).toArray();
      await waitUntil(() => server.requests.length === 1);
      controller.abort(new Error('gone'));
      await expect(run).rejects.toThrow('gone');
    });

    it('stops the pages fetched ahead when the consumer breaks out', async () => {
      const server = await createTestServer({
        'GET /items': [
          { json: dataset(10), headers: { 'x-total-count': '100' } },
          { json: [], delayMs: 10_000 },
        ],
      });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }), concurrency: 3 });
      const iterator = paginator[Symbol.asyncIterator]();
      await iterator.next();
      await waitUntil(() => server.requests.length === 4);
      await iterator.return?.();
      await waitUntil(() => server.requests.slice(1).every((request) => request.aborted));
      expect(paginator.checkpoint()).toMatchObject({ position: 10, page: 2, done: false });
    });
  });

  describe('events', () => {
    it('emits a pagination event per page, with redacted URLs and the clock time', async () => {
      const clock = createFakeClock(1_000);
      const server = await createTestServer({ 'GET /items': offsetApi(dataset(25)) });
      const events: FerruleEvent[] = [];
      const paginator = paginate(fetch, `${server.url}/items?api_key=s3cr3t`, {
        strategy: offset({ limit: 10 }),
        onEvent: (event) => events.push(event),
        clock,
      });
      await paginator.toArray();
      const url = `${server.url}/items?api_key=[REDACTED]`;
      const at = (offsetValue: number) => `${url}&offset=${offsetValue}&limit=10`;
      const event = { type: 'pagination', method: 'GET', timeMs: 1_000 };
      expect(events).toEqual([
        { ...event, page: 1, items: 10, done: false, url: at(0), next: at(10) },
        { ...event, page: 2, items: 10, done: false, url: at(10), next: at(20) },
        { ...event, page: 3, items: 5, done: true, url: at(20) },
      ]);
      expect(JSON.stringify(events)).not.toContain('s3cr3t');
    });

    it('marks the page where a limit stops as done', async () => {
      const server = await createTestServer({ 'GET /items': offsetApi(dataset(100)) });
      const events: FerruleEvent[] = [];
      await paginate(fetch, `${server.url}/items`, {
        strategy: offset({ limit: 10 }),
        maxPages: 2,
        onEvent: (event) => events.push(event),
      }).toArray();
      expect(events.map((event) => event.type === 'pagination' && [event.done, 'next' in event])).toEqual([
        [false, true],
        [true, false],
      ]);
    });

    it('goes on when a listener throws', async () => {
      const server = await createTestServer({ 'GET /items': offsetApi(dataset(20)) });
      const onEvent = () => {
        throw new Error('listener broke');
      };
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }), onEvent });
      expect(await paginator.toArray()).toHaveLength(20);
    });
  });

  describe('requests', () => {
    it('sends init with every page, and passes ferrule call options with the page number to a chain', async () => {
      const server = await createTestServer({ 'GET /items': linkApi(dataset(20)) });
      const seen: unknown[] = [];
      const record: Middleware = async (request, context, next) => {
        seen.push(context.options);
        return next(request, context);
      };
      const chain = createFetch({ use: [record] });
      await paginate(chain, `${server.url}/items`, {
        init: { headers: { 'x-team': 'sync' }, ferrule: { retry: { maxAttempts: 5 } } },
      }).toArray();
      expect(server.requests.map((request) => request.headers['x-team'])).toEqual(['sync', 'sync']);
      expect(seen).toEqual([
        { retry: { maxAttempts: 5 }, pagination: { page: 1, strategy: 'link-header' } },
        { retry: { maxAttempts: 5 }, pagination: { page: 2, strategy: 'link-header' } },
      ]);
    });

    it('sends the method, headers and body of an input Request with every page', async () => {
      const server = await createTestServer({
        'POST /search': (request) => ({
          json: [{ ...(request.json() as object), at: request.url }],
          ...(request.url === '/search' && { headers: { link: '</search?page=2>; rel="next"' } }),
        }),
      });
      const input = new Request(`${server.url}/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-a': '1' },
        body: JSON.stringify({ q: 'bolts' }),
      });
      const result = await paginate(fetch, input, { init: { headers: { 'x-b': '2' } } }).toArray();
      expect(result).toEqual([
        { q: 'bolts', at: '/search' },
        { q: 'bolts', at: '/search?page=2' },
      ]);
      expect(server.requests.map(({ method, headers }) => [method, headers['x-a'], headers['x-b']])).toEqual([
        ['POST', '1', '2'],
        ['POST', '1', '2'],
      ]);
      expect(input.bodyUsed).toBe(false);
    });

    it('accepts a URL object as input', async () => {
      const server = await createTestServer({ 'GET /items': { json: [1] } });
      expect(await paginate(fetch, new URL('/items', server.url)).toArray()).toEqual([1]);
    });
  });

  describe('iteration', () => {
    it('refuses a second iteration while the first one runs', async () => {
      const server = await createTestServer({ 'GET /items': linkApi(dataset(20)) });
      const paginator = paginate(fetch, `${server.url}/items`);
      const first = paginator.items();
      await first.next();
      const error = await thrown(() => paginator.items().next());
      expect(isPaginationError(error)).toBe(true);
      expect((error as PaginationError).reason).toBe('busy');
      await first.return();
    });

    it('continues from where the last iteration stopped', async () => {
      const items = dataset(30);
      const server = await createTestServer({ 'GET /items': offsetApi(items) });
      const paginator = paginate(fetch, `${server.url}/items`, { strategy: offset({ limit: 10 }) });
      const first: unknown[] = [];
      for await (const item of paginator.items()) {
        first.push(item);
        if (first.length === 13) break;
      }
      expect([...first, ...(await paginator.toArray())]).toEqual(items);
      expect(await paginator.toArray()).toEqual([]);
    });
  });

  describe('options', () => {
    it.each([
      [{ strategy: {} }, 'paginate.strategy.name'],
      [{ strategy: { ...cursor({ next: 'next' }), next: 'next' } }, 'paginate.strategy.next'],
      [{ strategy: cursor }, 'paginate.strategy'],
      [{ items: 1 }, 'paginate.items'],
      [{ schema: {} }, 'paginate.schema'],
      [{ maxPages: 0 }, 'paginate.maxPages'],
      [{ maxItems: 1.5 }, 'paginate.maxItems'],
      [{ concurrency: 0 }, 'paginate.concurrency'],
      [{ concurrency: 65 }, 'paginate.concurrency'],
      [{ signal: 'stop' }, 'paginate.signal'],
      [{ allowOrigins: ['ftp://files.example.com'] }, 'paginate.allowOrigins.0'],
      [{ init: 'GET' }, 'paginate.init'],
      [{ onEvent: true }, 'paginate.onEvent'],
      [{ clock: Date }, 'paginate.clock'],
      [{ retries: 3 }, 'paginate.retries'],
    ])('refuses %o with a ConfigError naming %s', async (options, option) => {
      const error = await thrown(() => paginate(fetch, 'https://api.example.com/items', options as never));
      expect(isConfigError(error)).toBe(true);
      expect((error as { option: string }).option).toBe(option);
    });

    it('refuses a fetch that is no function and an input that is no absolute URL', async () => {
      expect(await thrown(() => paginate('fetch' as never, 'https://api.example.com/items'))).toMatchObject({
        option: 'paginate.fetch',
      });
      expect(await thrown(() => paginate(fetch, '/items'))).toMatchObject({ option: 'paginate.input' });
      expect(await thrown(() => paginate(fetch, 42 as never))).toMatchObject({ option: 'paginate.input' });
    });
  });
});
