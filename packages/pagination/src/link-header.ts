import { validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { following } from './next-url.ts';
import { parseLinkHeader } from './parse-link-header.ts';
import { param } from './schemas.ts';
import { type PaginationStrategy, refuse } from './strategy.ts';

/** Options of {@link linkHeader}. */
export interface LinkHeaderOptions {
  /** The relation type to follow. @default 'next' */
  rel?: string;
}

/**
 * Follows the `Link` header (RFC 8288), as GitHub, GitLab and json-server send it: several links per
 * header, quoted parameters, `rel` lists (`rel="next last"`), relative URLs resolved against the
 * page's URL. A malformed header throws a `PaginationError` rather than guess; an empty one (json-server
 * past the last page) means there is no next page. The link must stay on the input's origin unless
 * `allowOrigins` lets it go elsewhere.
 * @example
 * paginate(fetch, 'https://api.github.com/repos/nodejs/node/issues?per_page=100', { strategy: linkHeader() });
 */
export function linkHeader(options: LinkHeaderOptions = {}): PaginationStrategy<string> {
  const { rel } = validateOptions(v.strictObject({ rel: v.optional(param, 'next') }), options, 'linkHeader');
  const wanted = rel.toLowerCase();
  return following('link-header', ({ response, request }) => {
    const header = response.headers.get('link');
    const links =
      header === null ? [] : (parseLinkHeader(header) ?? refuse('malformed-link', 'Malformed Link header', request));
    // RFC 8288 §3.2: a link with an `anchor` is about the resource it names, not about this page.
    return links.find(({ rel: relations, params }) => relations.includes(wanted) && !('anchor' in params))?.href;
  });
}
