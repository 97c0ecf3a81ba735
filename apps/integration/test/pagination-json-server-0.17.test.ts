import { createFetch, isPaginationError, type Middleware, type PaginationError } from '@ferrule/core';
import { cursor, linkHeader, offset, type PaginationCheckpoint, page, paginate } from '@ferrule/pagination';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonServer, startJsonServer } from './support/json-server.ts';
import { type JsonServerRecord, jsonServerRecords } from './support/json-server-records.ts';

// json-server 0.17: `_page`/`_limit` with a Link header and X-Total-Count, `_start`/`_limit`, `_gte` filters.
const records = jsonServerRecords(3_000);
let server: JsonServer;
beforeAll(async () => {
  server = await startJsonServer('0.17', { records });
});
afterAll(() => server?.close());

const Record = v.object({ id: v.number(), name: v.string(), ts: v.number() });

describe('pagination against json-server 0.17', () => {
  it('offset (_start, _limit, X-Total-Count) delivers every record once, in order', async () => {
    const strategy = offset({ offsetParam: '_start', limitParam: '_limit', limit: 100 });
    const result = await paginate(fetch, `${server.url}/records`, { strategy, schema: Record }).toArray();
    expect(result).toEqual(records);
  });

  it('page (_page, _limit, X-Total-Count) delivers every record once, in order', async () => {
    const strategy = page({ pageParam: '_page', perPageParam: '_limit', perPage: 100 });
    expect(await paginate(fetch, `${server.url}/records`, { strategy }).toArray()).toEqual(records);
  });

  it('the Link header delivers every record once, in order', async () => {
    const pages: number[] = [];
    const paginator = paginate(fetch, `${server.url}/records?_page=1&_limit=100`, { strategy: linkHeader() });
    const result: unknown[] = [];
    for await (const current of paginator) {
      pages.push(current.number);
      result.push(...current.items);
    }
    expect(result).toEqual(records);
    expect(pages).toHaveLength(30);
    expect(paginator.checkpoint().done).toBe(true);
  });

  it('a keyset cursor (id_gte) delivers every record once, in order', async () => {
    const strategy = cursor({
      param: 'id_gte',
      next: (body) => ((body as JsonServerRecord[]).at(-1)?.id ?? 0) + 1,
    });
    const result = await paginate(fetch, `${server.url}/records?_sort=id&_limit=250`, { strategy }).toArray();
    expect(result).toEqual(records);
  });

  it('takes the empty Link header past the last page as the end, not as an error', async () => {
    const response = await fetch(`${server.url}/records?_page=31&_limit=100`);
    expect(response.headers.get('link')).toBe('');
    await response.body?.cancel();
    expect(await paginate(fetch, `${server.url}/records?_page=31&_limit=100`).toArray()).toEqual([]);
  });

  it('fetches offset pages in parallel and still delivers them in order', async () => {
    const strategy = offset({ offsetParam: '_start', limitParam: '_limit', limit: 50 });
    const paginator = paginate(fetch, `${server.url}/records`, { strategy, concurrency: 6 });
    expect(await paginator.toArray()).toEqual(records);
  });

  it('resumes a sync job after a connection dropped mid-way, losing and repeating nothing', async () => {
    // The 8th request fails as a dropped connection would; the chain is otherwise plain fetch.
    let calls = 0;
    const dropEighth: Middleware = async (request, context, next) => {
      if (++calls === 8) throw new TypeError('fetch failed');
      return next(request, context);
    };
    const chained = createFetch({ use: [dropEighth] });
    const strategy = linkHeader();
    const stored: unknown[] = [];
    let saved: string | undefined;
    const run = async (resumeFrom?: PaginationCheckpoint) => {
      const paginator = paginate(chained, `${server.url}/records?_page=1&_limit=100`, {
        strategy,
        ...(resumeFrom && { resumeFrom }),
      });
      for await (const record of paginator.items()) {
        stored.push(record);
        saved = JSON.stringify(paginator.checkpoint());
      }
    };
    await expect(run()).rejects.toThrow('fetch failed');
    expect(stored).toHaveLength(700);
    await run(JSON.parse(saved as string));
    expect(stored).toEqual(records);
  });

  it('refuses a Link that leads back to a page already fetched', async () => {
    // Page 1's rel="first" is page 1 itself.
    const paginator = paginate(fetch, `${server.url}/records?_page=1&_limit=100`, {
      strategy: linkHeader({ rel: 'first' }),
    });
    const error = await paginator.toArray().catch((caught: unknown) => caught);
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('loop');
  });
});
