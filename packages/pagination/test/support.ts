import type { RecordedRequest, ResponseSpec } from '@ferrule/testing';

/** One record of a generated dataset. */
export interface Item {
  id: number;
  name: string;
  ts: number;
}

/** A dataset of `count` records: ids 1…count, a timestamp one second apart from `startMs`. */
export const dataset = (count: number, startMs = Date.UTC(2025, 0, 1)): Item[] =>
  Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    name: `item-${index + 1}`,
    ts: startMs + index * 1_000,
  }));

/** The query of a recorded request. */
export const query = (request: RecordedRequest) => new URL(request.url, 'http://127.0.0.1').searchParams;

const number = (value: string | null, fallback: number) => (value === null ? fallback : Number(value));

/** `?offset=&limit=` with `X-Total-Count`; `maxLimit` caps the page size as some servers do. */
export const offsetApi =
  (items: readonly Item[], { maxLimit = Number.POSITIVE_INFINITY, totalHeader = true } = {}) =>
  (request: RecordedRequest): ResponseSpec => {
    const params = query(request);
    const start = number(params.get('offset'), 0);
    const limit = Math.min(number(params.get('limit'), 10), maxLimit);
    return {
      json: items.slice(start, start + limit),
      ...(totalHeader && { headers: { 'x-total-count': String(items.length) } }),
    };
  };

/** `?page=&per_page=` (pages from 1), the items in `data` and the totals in `meta`. */
export const pageApi =
  (items: readonly Item[]) =>
  (request: RecordedRequest): ResponseSpec => {
    const params = query(request);
    const current = number(params.get('page'), 1);
    const perPage = number(params.get('per_page'), 10);
    return {
      json: {
        data: items.slice((current - 1) * perPage, current * perPage),
        meta: { total: items.length, pages: Math.ceil(items.length / perPage) },
      },
    };
  };

/**
 * `?page=` (its name is `param`) answering a bare array of `size` items, pages counted from `first`;
 * `lastPage` makes it answer every later page with that one again, as json-server 1 does.
 */
export const pageArrayApi =
  (
    items: readonly Item[],
    { param = 'page', size = 10, first = 1, lastPage = Number.POSITIVE_INFINITY, totalHeader = false } = {},
  ) =>
  (request: RecordedRequest): ResponseSpec => {
    const current = Math.min(Number(query(request).get(param)), lastPage) - first;
    return {
      json: items.slice(current * size, (current + 1) * size),
      ...(totalHeader && { headers: { 'x-total-count': String(items.length) } }),
    };
  };

/** `?cursor=` naming the id after which the page starts; the next cursor in `next_cursor`. */
export const cursorApi =
  (items: readonly Item[], size = 10) =>
  (request: RecordedRequest): ResponseSpec => {
    const after = number(query(request).get('cursor'), 0);
    const start = items.findIndex((item) => item.id > after);
    const data = start < 0 ? [] : items.slice(start, start + size);
    const last = data.at(-1);
    return { json: { data, next_cursor: last && last.id < (items.at(-1)?.id ?? 0) ? String(last.id) : null } };
  };

/** `?page=` with a `Link` header naming first, prev, next and last, as GitHub sends it. */
export const linkApi =
  (items: readonly Item[], size = 10) =>
  (request: RecordedRequest): ResponseSpec => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const current = number(url.searchParams.get('page'), 1);
    const last = Math.max(1, Math.ceil(items.length / size));
    const at = (target: number) => `<${url.pathname}?page=${target}>`;
    const links = [`${at(1)}; rel="first"`, `${at(last)}; rel="last"`];
    if (current > 1) links.push(`${at(current - 1)}; rel="prev"`);
    if (current < last) links.push(`${at(current + 1)}; rel="next"`);
    return { json: items.slice((current - 1) * size, current * size), headers: { link: links.join(', ') } };
  };

/** What `run` throws (or rejects with), for assertions on typed errors. */
export async function thrown(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
