import { validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { count, extractorSchema, param } from './schemas.ts';
import { type Extractor, extractor, isCount, type PaginationStrategy, totalCountHeader } from './strategy.ts';

/** Options of {@link offset}. */
export interface OffsetOptions {
  /** The query parameter that carries the page size. @default 'limit' */
  limitParam?: string;
  /** The query parameter that carries the offset of the page's first item. @default 'offset' */
  offsetParam?: string;
  /** How many items to ask for per page. @default 100 */
  limit?: number;
  /** The offset of the first page. @default 0 */
  start?: number;
  /**
   * Where the total number of items is: a body path or a function. Without it the `X-Total-Count`
   * header is read when present. With a total, paging stops when it is reached and pages can be
   * fetched in parallel; without one, a page shorter than `limit` is the last.
   * @default the X-Total-Count header
   */
  total?: Extractor;
}

const OffsetOptionsSchema = v.strictObject({
  limitParam: v.optional(param, 'limit'),
  offsetParam: v.optional(param, 'offset'),
  limit: v.optional(count(1), 100),
  start: v.optional(count(0), 0),
  total: v.optional(extractorSchema),
});

/**
 * Offset pagination (`?offset=200&limit=100`). The next offset is this page's offset plus the items it
 * held, so a server that caps the page size loses nothing. Stops on an empty page, when the total
 * is reached, or (with no total) on a page shorter than `limit`.
 * @example
 * paginate(fetch, 'https://api.example.com/items', { strategy: offset({ limit: 50 }) });
 */
export function offset(options: OffsetOptions = {}): PaginationStrategy<number> {
  const { limitParam, offsetParam, limit, start, total } = validateOptions(OffsetOptionsSchema, options, 'offset');
  const size = String(limit);
  return {
    name: 'offset',
    start: () => start,
    isPosition: isCount,
    url(url, position) {
      url.searchParams.set(offsetParam, String(position));
      url.searchParams.set(limitParam, size);
      return url;
    },
    next({ position, items, total: knownTotal }) {
      const following = position + items.length;
      if (items.length === 0 || (knownTotal === undefined ? items.length < limit : following >= knownTotal)) {
        return undefined;
      }
      return following;
    },
    total: total === undefined ? totalCountHeader : extractor(total),
    ahead: (position, known) =>
      known.total !== undefined && position + limit < known.total ? position + limit : undefined,
  };
}
