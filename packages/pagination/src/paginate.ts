import {
  ConfigError,
  type FerruleEvent,
  type FetchFunction,
  PaginationError,
  redactUrl,
  type StandardSchemaV1,
  safely,
  systemClock,
  validateOptions,
} from '@ferrule/core';
import type { PaginationCheckpoint } from './checkpoint.ts';
import { type FetchedPage, pageFetcher } from './fetch-pages.ts';
import { linkHeader } from './link-header.ts';
import { pageLoader } from './load-page.ts';
import { type PaginateOptions, PaginateOptionsSchema } from './options.ts';
import { extractor, type JsonValue, type PaginationStrategy, toUrl } from './strategy.ts';

/** One page as `paginate` delivers it. */
export interface Page<Item> {
  /** The page's items, in order, validated; cut short by `maxItems` or a checkpoint's `skip`. */
  items: Item[];
  /** The page's number, 1 for the first page (counting on across a resume). */
  number: number;
  /** How many items come before the first of `items`. */
  index: number;
  /** The URL the page was fetched from. */
  url: string;
  /** The page's response (its body has been read): headers such as rate limits are here. */
  response: Response;
  /** The parsed JSON body. */
  body: unknown;
  /** The total number of items, when the server told it. */
  total: number | undefined;
}

/** The async iterable `paginate` returns. */
export interface Paginator<Item> extends AsyncIterable<Page<Item>> {
  /** Iterates the items of every page, in order, one by one. */
  items(): AsyncGenerator<Item, void, undefined>;
  /** Collects every item (up to `maxItems`) into an array. */
  toArray(): Promise<Item[]>;
  /** Where the pagination stands now, as plain JSON: pass it to `resumeFrom` to continue from here. */
  checkpoint(): PaginationCheckpoint;
}

// A relative URL resolves against the document's location in a browser.
function inputUrl(input: string | URL | Request): URL {
  const url = toUrl(input instanceof Request ? input.url : input, globalThis.location?.href);
  if (!url) throw new ConfigError('paginate.input', 'an absolute URL or a Request');
  return url;
}

/**
 * Paginates an API with any fetch-compatible function (a `createFetch` chain, ky, plain fetch):
 * iterate the pages, or `.items()` one by one, or `.toArray()`; stop and resume with `.checkpoint()`.
 * Every page request carries `init` and the call option `ferrule.pagination: { page, strategy }`.
 * @example
 * const fetch = createFetch({ use: [] });
 * for await (const item of paginate(fetch, 'https://api.example.com/items', { strategy: offset() }).items()) {
 *   console.log(item);
 * }
 */
export function paginate<Schema extends StandardSchemaV1>(
  fetch: FetchFunction,
  input: string | URL | Request,
  options: PaginateOptions<StandardSchemaV1.InferOutput<Schema>> & { schema: Schema },
): Paginator<StandardSchemaV1.InferOutput<Schema>>;
export function paginate<Item = unknown>(
  fetch: FetchFunction,
  input: string | URL | Request,
  options?: PaginateOptions<Item>,
): Paginator<Item>;
export function paginate(
  fetch: FetchFunction,
  input: string | URL | Request,
  options: PaginateOptions = {},
): Paginator<unknown> {
  const { items, maxPages, maxItems, signal, concurrency, resumeFrom, allowOrigins, init, onEvent } = validateOptions(
    PaginateOptionsSchema,
    options,
    'paginate',
  );
  const { strategy = linkHeader(), schema, clock = systemClock } = options;
  if (typeof fetch !== 'function') throw new ConfigError('paginate.fetch', 'a fetch function');
  const base = inputUrl(input);
  const { method, load } = pageLoader({ fetch, input, init, strategy, items: extractor(items ?? ''), schema });
  const fetchPages = pageFetcher({
    strategy,
    load,
    method,
    base,
    origins: new Set([base.origin, ...allowOrigins]),
    signal: signal ?? init.signal ?? (input instanceof Request ? input.signal : undefined),
    concurrency,
  });

  const state = startState(strategy, resumeFrom, base, clock.now());
  let pagesDelivered = 0;
  let itemsDelivered = 0;
  let running = false;

  // Starts delivering a page: how many items to skip and take, whether it is the last; emits the event.
  function portion(fetched: FetchedPage) {
    const { items: all, next, nextUrl, request, number } = fetched;
    const skip = Math.min(state.skip, all.length);
    const taken = Math.min(all.length - skip, maxItems - itemsDelivered);
    state.skip = skip;
    pagesDelivered++;
    const stop =
      (skip + taken === all.length && next === undefined) ||
      pagesDelivered >= maxPages ||
      itemsDelivered + taken >= maxItems;
    if (onEvent) {
      safely(onEvent, {
        type: 'pagination',
        page: number,
        items: taken,
        done: stop,
        ...(!stop && nextUrl && { next: redactUrl(nextUrl) }),
        method: request.method,
        url: redactUrl(fetched.url),
        timeMs: clock.now(),
      } satisfies FerruleEvent);
    }
    return { skip, taken, stop };
  }

  // Marks the page's items up to `end` delivered: the checkpoint then names the next item to deliver.
  function moveTo(fetched: FetchedPage, end: number) {
    itemsDelivered += end - state.skip;
    if (end < fetched.items.length) {
      state.skip = end;
    } else if (fetched.next === undefined) {
      state.skip = end;
      state.done = true;
    } else {
      state.position = fetched.next;
      state.index = fetched.index + fetched.items.length;
      state.page = fetched.number + 1;
      state.skip = 0;
    }
  }

  // Delivers the pages, or their items one by one. One iteration at a time: two would deliver items twice.
  async function* deliver(byItem: boolean): AsyncGenerator<unknown, void, undefined> {
    if (running) throw new PaginationError('busy', 'Already being iterated');
    if (state.done || pagesDelivered >= maxPages || itemsDelivered >= maxItems) return;
    running = true;
    try {
      const { position, index, page: number, skip } = state;
      const budget = { pagesBudget: maxPages - pagesDelivered, itemsBudget: maxItems - itemsDelivered + skip };
      for await (const fetched of fetchPages({ position, index, number, ...budget })) {
        const { skip, taken, stop } = portion(fetched);
        if (byItem) {
          if (!taken) moveTo(fetched, skip);
          for (let at = skip; at < skip + taken; at++) {
            moveTo(fetched, at + 1);
            yield fetched.items[at];
          }
        } else {
          moveTo(fetched, skip + taken);
          yield toPage(fetched, skip, taken);
        }
        if (stop) return;
      }
    } finally {
      running = false;
    }
  }

  const paginator: Paginator<unknown> = {
    [Symbol.asyncIterator]: () => deliver(false) as AsyncGenerator<Page<unknown>, void, undefined>,
    items: () => deliver(true),
    async toArray() {
      const collected: unknown[] = [];
      for await (const item of paginator.items()) collected.push(item);
      return collected;
    },
    checkpoint: () => ({ ...state }),
  };
  return paginator;
}

// Where a pagination starts: the checkpoint it resumes from, once checked, or the strategy's first page.
function startState(
  strategy: PaginationStrategy<JsonValue>,
  resumeFrom: PaginationCheckpoint | undefined,
  base: URL,
  now: number,
): PaginationCheckpoint {
  if (!resumeFrom) {
    const position = strategy.start({ url: new URL(base), now });
    return { version: 1, strategy: strategy.name, position, skip: 0, index: 0, page: 1, done: false };
  }
  if (resumeFrom.strategy !== strategy.name) {
    throw new ConfigError('paginate.resumeFrom.strategy', `a ${strategy.name} checkpoint`);
  }
  if (!strategy.isPosition(resumeFrom.position)) {
    throw new ConfigError('paginate.resumeFrom.position', `a ${strategy.name} position`);
  }
  return { ...resumeFrom };
}

// What the consumer sees of a page: `taken` of its items after `skip`.
const toPage = ({ items, number, index, url, response, body, total }: FetchedPage, skip: number, taken: number) =>
  ({
    items: taken === items.length ? items : items.slice(skip, skip + taken),
    number,
    index: index + skip,
    url: url.href,
    response,
    body,
    total,
  }) satisfies Page<unknown>;
