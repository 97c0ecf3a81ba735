import { validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { extractorSchema } from './schemas.ts';
import {
  type Extractor,
  extractor,
  isBlank,
  type PageState,
  type PaginationStrategy,
  refuse,
  toUrl,
} from './strategy.ts';

/** Options of {@link nextUrl}. */
export interface NextUrlOptions {
  /**
   * Where the URL of the next page is: a body path (`'next'`, `'links.next'`) or a function of the body
   * and the response (for a key with a dot in it: `(body) => body['@odata.nextLink']`). Relative URLs
   * resolve against the page's URL; `undefined`, `null` or `''` means this page is the last.
   */
  next: Extractor;
}

const isUrlString = (value: unknown): value is string => typeof value === 'string' && toUrl(value) !== undefined;

/** A strategy that follows the URL of the next page, wherever `find` reads it from. */
export function following(name: string, find: (page: PageState<string>) => unknown): PaginationStrategy<string> {
  return {
    name,
    start: ({ url }) => url.href,
    isPosition: isUrlString,
    url: (_url, position) => new URL(position),
    next(page) {
      const link = find(page);
      if (page.items.length === 0 || isBlank(link)) return undefined;
      // RFC 3986 §5.1.3: the base is the URL the page was retrieved from, after any redirect.
      const base = page.response.url || page.url.href;
      const target = toUrl(link, base) ?? refuse('bad-link', 'Next-page link is not a URL', page.request);
      target.hash = '';
      return target.href;
    },
  };
}

/**
 * Follows a next-page URL that each page names in its body or a header: Django REST framework's
 * `next`, Laravel's `next_page_url`, Microsoft Graph's `@odata.nextLink`, Spotify's `next`.
 * The URL must stay on the input's origin unless `allowOrigins` lets it go elsewhere.
 * @example
 * paginate(fetch, 'https://api.example.com/items/', { strategy: nextUrl({ next: 'next' }), items: 'results' });
 */
export function nextUrl(options: NextUrlOptions): PaginationStrategy<string> {
  const { next } = validateOptions(v.strictObject({ next: extractorSchema }), options, 'nextUrl');
  const nextAt = extractor(next);
  return following('next-url', (page) => nextAt(page.body, page.response));
}
