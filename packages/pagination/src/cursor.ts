import { validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { extractorSchema, param } from './schemas.ts';
import { type Extractor, extractor, isBlank, type PaginationStrategy, refuse } from './strategy.ts';

/** Options of {@link cursor}. */
export interface CursorOptions {
  /** The query parameter that carries the cursor (left out on the first page). @default 'cursor' */
  param?: string;
  /**
   * Where the next cursor is: a body path (`'meta.next_cursor'`) or a function of the body and the
   * response (read a header there). `undefined`, `null` or `''` means this page is the last.
   */
  next: Extractor;
}

const CursorOptionsSchema = v.strictObject({
  param: v.optional(param, 'cursor'),
  next: extractorSchema,
});

/**
 * Cursor pagination: each page names the cursor of the next one, in its body or a header. Stops
 * when there is no next cursor or a page is empty; a cursor that comes back is a loop and throws.
 * @example
 * paginate(fetch, 'https://api.example.com/events', {
 *   strategy: cursor({ param: 'after', next: 'meta.next_cursor' }),
 *   items: 'data',
 * });
 */
export function cursor(options: CursorOptions): PaginationStrategy<string | null> {
  const { param: name, next } = validateOptions(CursorOptionsSchema, options, 'cursor');
  const nextAt = extractor(next);
  return {
    name: 'cursor',
    start: () => null,
    isPosition: (value): value is string | null => value === null || typeof value === 'string',
    url(url, position) {
      if (position !== null) url.searchParams.set(name, position);
      return url;
    },
    next({ body, response, items, request }) {
      const value = nextAt(body, response);
      if (items.length === 0 || isBlank(value)) return undefined;
      if (typeof value === 'string' || Number.isFinite(value)) return String(value);
      return refuse('bad-cursor', 'Next cursor is not a string', request);
    },
  };
}
