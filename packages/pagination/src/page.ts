import { validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { count, extractorSchema, param } from './schemas.ts';
import { type Extractor, extractor, isCount, type PaginationStrategy, totalCountHeader } from './strategy.ts';

/** Options of {@link page}. */
export interface PageOptions {
  /** The query parameter that carries the page number. @default 'page' */
  pageParam?: string;
  /** The query parameter that carries the page size (sent only with `perPage`). @default 'per_page' */
  perPageParam?: string;
  /** How many items to ask for per page; a page shorter than this is the last. @default not sent */
  perPage?: number;
  /** The number of the first page. @default 1 */
  start?: number;
  /**
   * Where the total number of items is: a body path or a function. With a total, paging stops when
   * it is reached and pages can be fetched in parallel. An API that tells only the number of pages:
   * `total: (body) => body.total_pages * perPage` (one empty page is then asked for at the end).
   * @default the X-Total-Count header
   */
  total?: Extractor;
}

const PageOptionsSchema = v.strictObject({
  pageParam: v.optional(param, 'page'),
  perPageParam: v.optional(param, 'per_page'),
  perPage: v.optional(count(1)),
  start: v.optional(count(0), 1),
  total: v.optional(extractorSchema),
});

/**
 * Page-number pagination (`?page=3&per_page=100`). Stops on an empty page, on the last page when the
 * total number of items is known, and otherwise on a page shorter than `perPage`.
 * @example
 * paginate(fetch, 'https://api.example.com/items', { strategy: page({ perPage: 100 }) });
 */
export function page(options: PageOptions = {}): PaginationStrategy<number> {
  const { pageParam, perPageParam, perPage, start, total } = validateOptions(PageOptionsSchema, options, 'page');
  return {
    name: 'page',
    start: () => start,
    isPosition: isCount,
    url(url, position) {
      url.searchParams.set(pageParam, String(position));
      if (perPage !== undefined) url.searchParams.set(perPageParam, String(perPage));
      return url;
    },
    next({ position, items, index, total: knownTotal }) {
      if (items.length === 0) return undefined;
      if (knownTotal !== undefined) return index + items.length < knownTotal ? position + 1 : undefined;
      return perPage !== undefined && items.length < perPage ? undefined : position + 1;
    },
    total: total === undefined ? totalCountHeader : extractor(total),
    ahead: (position, known) =>
      known.total !== undefined && (position + 1 - start) * (perPage ?? known.pageSize) < known.total
        ? position + 1
        : undefined,
  };
}
