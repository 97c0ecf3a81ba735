import { networkInterfaces } from 'node:os';
import { isPaginationError, type PaginationError } from '@ferrule/core';
import { cursor, page, paginate, timeWindow } from '@ferrule/pagination';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonServer, startJsonServer } from './support/json-server.ts';
import { jsonServerRecords, RECORDS_START_MS } from './support/json-server-records.ts';

// json-server 1.x: `_page`/`_per_page` with a body envelope ({ first, prev, next, last, pages, items, data }),
// `field:op` filters; it turns numeric ids into strings.
const records = jsonServerRecords(3_000);
const served = records.map((record) => ({ ...record, id: String(record.id) }));
let server: JsonServer;
beforeAll(async () => {
  server = await startJsonServer('1', { records });
});
afterAll(() => server?.close());

describe('pagination against json-server 1.x', () => {
  it('listens on 127.0.0.1 only', async () => {
    const port = new URL(server.url).port;
    expect((await fetch(`${server.url}/records/1`)).status).toBe(200);
    const elsewhere = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === 'IPv4');
    for (const address of elsewhere) {
      const error = await fetch(`http://${address?.address}:${port}/records/1`).catch((caught: unknown) => caught);
      expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    }
  });

  it('page (_page, _per_page, total in the envelope) delivers every record once, in order', async () => {
    const strategy = page({ pageParam: '_page', perPageParam: '_per_page', perPage: 100, total: 'items' });
    const result = await paginate(fetch, `${server.url}/records`, { strategy, items: 'data' }).toArray();
    expect(result).toEqual(served);
  });

  it('page fetched in parallel delivers every record once, in order', async () => {
    const strategy = page({ pageParam: '_page', perPageParam: '_per_page', perPage: 75, total: 'items' });
    const paginator = paginate(fetch, `${server.url}/records`, { strategy, items: 'data', concurrency: 5 });
    expect(await paginator.toArray()).toEqual(served);
  });

  it('the envelope’s next page as a cursor delivers every record once, in order', async () => {
    const strategy = cursor({ param: '_page', next: 'next' });
    const paginator = paginate(fetch, `${server.url}/records?_page=1&_per_page=120`, { strategy, items: 'data' });
    expect(await paginator.toArray()).toEqual(served);
  });

  it('time windows (ts:gte, ts:lt) deliver every record once, in order', async () => {
    const strategy = timeWindow({
      since: RECORDS_START_MS,
      until: RECORDS_START_MS + 3_000_000,
      stepMs: 70_000,
      sinceParam: 'ts:gte',
      untilParam: 'ts:lt',
      format: String,
    });
    const paginator = paginate(fetch, `${server.url}/records`, { strategy, concurrency: 3 });
    expect(await paginator.toArray()).toEqual(served);
  });

  it('refuses to go on when the server answers past its last page with the last page again', async () => {
    // Without a total, page() would ask for page 31, 32, … and json-server 1 answers each with page 30.
    const strategy = page({ pageParam: '_page', perPageParam: '_per_page', perPage: 100, total: () => undefined });
    const delivered: unknown[] = [];
    const error = await (async () => {
      for await (const record of paginate(fetch, `${server.url}/records`, { strategy, items: 'data' }).items()) {
        delivered.push(record);
      }
    })().catch((caught: unknown) => caught);
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('loop');
    expect(delivered).toEqual(served);
  });

  it('refuses a page that is not an array of items', async () => {
    const error = await paginate(fetch, `${server.url}/records?_page=1`, { strategy: page({ pageParam: '_page' }) })
      .toArray()
      .catch((caught: unknown) => caught);
    expect(isPaginationError(error)).toBe(true);
    expect((error as PaginationError).reason).toBe('not-array');
  });
});
