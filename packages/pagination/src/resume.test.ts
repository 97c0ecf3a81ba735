import { isConfigError, isPaginationError, type PaginationError } from '@ferrule/core';
import type { RouteHandler } from '@ferrule/testing';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { cursorApi, dataset, type Item, linkApi, offsetApi, pageApi, query, thrown } from '../test/support.ts';
import type { PaginationCheckpoint } from './checkpoint.ts';
import { cursor } from './cursor.ts';
import { linkHeader } from './link-header.ts';
import { nextUrl } from './next-url.ts';
import { offset } from './offset.ts';
import { page } from './page.ts';
import { type Paginator, paginate } from './paginate.ts';
import { timeWindow } from './time-window.ts';

const START = Date.UTC(2025, 0, 1);
const items = dataset(2_000, START);

// Answers 500 to the `failAt`-th request, once; every other request as `handler` does.
const failingOnce =
  (handler: RouteHandler, failAt: number): RouteHandler =>
  (request, context) =>
    context.count === failAt ? { status: 500, json: { error: 'boom' } } : handler(request, context);

// A sync job: stores each item, then its checkpoint as JSON; after a failure it starts again from that.
async function syncJob(start: (resumeFrom: PaginationCheckpoint | undefined) => Paginator<unknown>) {
  const stored: unknown[] = [];
  let saved: string | undefined;
  let failures = 0;
  for (;;) {
    const paginator = start(saved === undefined ? undefined : JSON.parse(saved));
    try {
      for await (const item of paginator.items()) {
        stored.push(item);
        saved = JSON.stringify(paginator.checkpoint());
      }
      return { stored, failures, last: paginator.checkpoint() };
    } catch (error) {
      if (++failures > 3) throw error;
    }
  }
}

const nextLinkApi: RouteHandler = (request) => {
  const start = Number(query(request).get('offset') ?? 0);
  const next = start + 150 < items.length ? `/items?offset=${start + 150}` : null;
  return { json: { results: items.slice(start, start + 150), next } };
};
const windowApi: RouteHandler = (request) => {
  const since = Date.parse(query(request).get('since') ?? '');
  const until = Date.parse(query(request).get('until') ?? '');
  return { json: items.filter((item) => item.ts >= since && item.ts < until) };
};

describe('resume', () => {
  it.each([
    ['offset', offsetApi(items), () => ({ strategy: offset({ limit: 100 }) })],
    ['page', pageApi(items), () => ({ strategy: page({ perPage: 100, total: 'meta.total' }), items: 'data' })],
    ['cursor', cursorApi(items, 100), () => ({ strategy: cursor({ next: 'next_cursor' }), items: 'data' })],
    ['linkHeader', linkApi(items, 100), () => ({ strategy: linkHeader() })],
    ['nextUrl', nextLinkApi, () => ({ strategy: nextUrl({ next: 'next' }), items: 'results' })],
    [
      'timeWindow',
      windowApi,
      () => ({ strategy: timeWindow({ since: START, until: START + 2_000_000, stepMs: 90_000 }) }),
    ],
  ] as const)('after a server error mid-way, %s resumes with no item lost or repeated', async (_name, api, options) => {
    const server = await createTestServer({ 'GET /items': failingOnce(api, 7) });
    const job = await syncJob((resumeFrom) =>
      paginate(fetch, `${server.url}/items`, { ...options(), ...(resumeFrom && { resumeFrom }) }),
    );
    expect(job.failures).toBe(1);
    expect(job.stored).toEqual(items);
    expect(job.last.done).toBe(true);
    expect(server.requests.filter((request) => request.url === server.requests[6]?.url)).toHaveLength(2);
  });

  it('resumes with parallel prefetch after a page fetched ahead failed', async () => {
    const server = await createTestServer({ 'GET /items': failingOnce(offsetApi(items), 6) });
    const job = await syncJob((resumeFrom) =>
      paginate(fetch, `${server.url}/items`, {
        strategy: offset({ limit: 100 }),
        concurrency: 4,
        ...(resumeFrom && { resumeFrom }),
      }),
    );
    expect(job.failures).toBe(1);
    expect(job.stored).toEqual(items);
  });

  it('resumes page by page: a checkpoint taken after a page names the next one', async () => {
    const server = await createTestServer({ 'GET /items': failingOnce(linkApi(items, 100), 4) });
    const stored: unknown[] = [];
    let saved: PaginationCheckpoint | undefined;
    const first = paginate(fetch, `${server.url}/items`);
    await thrown(async () => {
      for await (const current of first) {
        stored.push(...current.items);
        saved = first.checkpoint();
      }
    });
    expect(saved).toEqual({
      version: 1,
      strategy: 'link-header',
      position: `${server.url}/items?page=4`,
      skip: 0,
      index: 300,
      page: 4,
      done: false,
    });
    for await (const current of paginate(fetch, `${server.url}/items`, { resumeFrom: saved as PaginationCheckpoint })) {
      stored.push(...current.items);
    }
    expect(stored).toEqual(items);
  });

  it('after the consumer failed on an item, resumes at that item', async () => {
    const server = await createTestServer({ 'GET /items': offsetApi(items) });
    const stored: Item[] = [];
    let saved: PaginationCheckpoint | undefined;
    const first = paginate<Item>(fetch, `${server.url}/items`, { strategy: offset({ limit: 100 }) });
    await thrown(async () => {
      for await (const item of first.items()) {
        if (item.id === 157) throw new Error('database down');
        stored.push(item);
        saved = first.checkpoint();
      }
    });
    expect(saved).toMatchObject({ position: 100, skip: 56, index: 100, page: 2 });
    const rest = paginate<Item>(fetch, `${server.url}/items`, {
      strategy: offset({ limit: 100 }),
      resumeFrom: saved as PaginationCheckpoint,
    });
    expect([...stored, ...(await rest.toArray())]).toEqual(items);
  });

  it('continues after maxItems in a later run, mid-page', async () => {
    const server = await createTestServer({ 'GET /items': offsetApi(items) });
    const strategy = offset({ limit: 100 });
    const first = paginate(fetch, `${server.url}/items`, { strategy, maxItems: 250 });
    const head = await first.toArray();
    const rest = await paginate(fetch, `${server.url}/items`, { strategy, resumeFrom: first.checkpoint() }).toArray();
    expect([...head, ...rest]).toEqual(items);
  });

  it('yields nothing and sends nothing from a checkpoint that is done', async () => {
    const server = await createTestServer({ 'GET /items': offsetApi(dataset(30)) });
    const strategy = offset({ limit: 100 });
    const first = paginate(fetch, `${server.url}/items`, { strategy });
    await first.toArray();
    expect(first.checkpoint()).toMatchObject({ done: true });
    server.reset();
    expect(
      await paginate(fetch, `${server.url}/items`, { strategy, resumeFrom: first.checkpoint() }).toArray(),
    ).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('gives a checkpoint of the first page before any iteration', () => {
    expect(
      paginate(fetch, 'https://api.example.com/items', { strategy: cursor({ next: 'next' }) }).checkpoint(),
    ).toEqual({
      version: 1,
      strategy: 'cursor',
      position: null,
      skip: 0,
      index: 0,
      page: 1,
      done: false,
    });
  });

  describe('hostile checkpoints', () => {
    const valid: PaginationCheckpoint = {
      version: 1,
      strategy: 'offset',
      position: 100,
      skip: 0,
      index: 100,
      page: 2,
      done: false,
    };

    it.each([
      [{ ...valid, strategy: 'cursor' }, 'paginate.resumeFrom.strategy'],
      [{ ...valid, position: '100' }, 'paginate.resumeFrom.position'],
      [{ ...valid, position: -5 }, 'paginate.resumeFrom.position'],
      [{ ...valid, skip: -1 }, 'paginate.resumeFrom.skip'],
      [{ ...valid, page: 0 }, 'paginate.resumeFrom.page'],
      [{ ...valid, version: 2 }, 'paginate.resumeFrom.version'],
      [{ ...valid, extra: true }, 'paginate.resumeFrom.extra'],
      ['{"version":1}', 'paginate.resumeFrom'],
    ])('refuses %o with a ConfigError naming %s', async (resumeFrom, option) => {
      const error = await thrown(() =>
        paginate(fetch, 'https://api.example.com/items', { strategy: offset(), resumeFrom: resumeFrom as never }),
      );
      expect(isConfigError(error)).toBe(true);
      expect((error as { option: string }).option).toBe(option);
    });

    it('refuses to resume at a URL on another origin, sending nothing there', async () => {
      const elsewhere = await createTestServer({ 'GET /steal': { json: [] } });
      const server = await createTestServer({ 'GET /items': { json: [] } });
      const resumeFrom = { ...valid, strategy: 'link-header', position: `${elsewhere.url}/steal` };
      const error = await thrown(() => paginate(fetch, `${server.url}/items`, { resumeFrom }).toArray());
      expect(isPaginationError(error)).toBe(true);
      expect((error as PaginationError).reason).toBe('cross-origin');
      expect(elsewhere.requests).toHaveLength(0);
    });
  });
});
