import type { LoadedPage, RequestFacts } from './load-page.ts';
import { type JsonValue, type PaginationStrategy, refuse } from './strategy.ts';

/** A page in its place in the sequence, with where the next one is. */
export interface FetchedPage extends LoadedPage {
  position: JsonValue;
  number: number;
  index: number;
  next: JsonValue | undefined;
  nextUrl: URL | undefined;
}

/** Where a run of fetches starts, and how far it may fetch ahead. */
export interface FetchPlan {
  position: JsonValue;
  index: number;
  number: number;
  /** Pages and items the consumer may still take: no page is fetched ahead beyond them. */
  pagesBudget: number;
  itemsBudget: number;
}

/** What the fetcher needs, fixed for a whole pagination. */
export interface FetcherOptions {
  strategy: PaginationStrategy<JsonValue>;
  load: (url: URL, number: number, signal: AbortSignal) => Promise<LoadedPage>;
  method: string;
  base: URL;
  origins: ReadonlySet<string>;
  /** Aborts the pagination: the caller's signal, or none. */
  signal: AbortSignal | undefined;
  concurrency: number;
}

interface Pending {
  position: JsonValue;
  url: URL;
  number: number;
  controller: AbortController;
  promise: Promise<LoadedPage>;
}

const noop = () => {};

/**
 * Makes the generator that fetches pages in order: one at a time and only when asked at concurrency 1;
 * above it, the next page and (when the strategy can predict them) the pages after it are fetched
 * ahead, at most `concurrency` at once. Refuses loops and other origins before sending anything.
 */
export function pageFetcher({ strategy, load, method, base, origins, signal, concurrency }: FetcherOptions) {
  const pageUrl = (position: JsonValue) => {
    const url = strategy.url(new URL(base), position);
    url.hash = '';
    return url;
  };
  const signalFor = ({ signal: own }: AbortController) => (signal ? AbortSignal.any([signal, own]) : own);

  return async function* fetchPages(plan: FetchPlan): AsyncGenerator<FetchedPage, void, undefined> {
    const seen = new Set<string>();
    const queue: Pending[] = [];
    let fetchedPages = 0;
    let fetchedItems = 0;
    let total: number | undefined;
    let pageSize = 0;
    let previous: string | undefined;

    const launch = (position: JsonValue, url: URL, number: number, from: RequestFacts | undefined): Pending => {
      const request = from ?? { method, url: url.href };
      // Credentials would go to the other origin.
      if (!origins.has(url.origin))
        refuse('cross-origin', `Page ${number} is on another origin: ${url.origin}`, request);
      if (seen.has(url.href)) refuse('loop', `Page ${number} repeats a page`, request);
      seen.add(url.href);
      const controller = new AbortController();
      const promise = load(url, number, signalFor(controller));
      promise.catch(noop);
      return { position, url, number, controller, promise };
    };
    const discard = () => {
      for (const pending of queue.splice(0)) {
        pending.controller.abort();
        seen.delete(pending.url.href);
      }
    };
    // Queues the next page, and, above concurrency 1, the pages after it that the strategy predicts.
    const fill = (next: JsonValue, nextUrl: URL, number: number, from: RequestFacts) => {
      if (queue[0] && queue[0].url.href !== nextUrl.href) discard();
      if (!queue.length) queue.push(launch(next, nextUrl, number, from));
      const most = Math.min(concurrency, plan.pagesBudget - fetchedPages);
      while (strategy.ahead && queue.length < most && fetchedItems + queue.length * pageSize < plan.itemsBudget) {
        const tail = queue[queue.length - 1] as Pending;
        const position = strategy.ahead(tail.position, { total, pageSize });
        if (position === undefined) return;
        const url = pageUrl(position);
        if (seen.has(url.href) || !origins.has(url.origin)) return;
        queue.push(launch(position, url, tail.number + 1, from));
      }
    };

    try {
      let { index, number } = plan;
      let current = launch(plan.position, pageUrl(plan.position), number, undefined);
      for (;;) {
        const loaded = await current.promise;
        signal?.throwIfAborted();
        // A server that answers past its last page with the last page again (json-server 1 does) would
        // make `page` go on forever: the same items twice in a row are a loop.
        if (loaded.items.length && loaded.text === previous)
          refuse('loop', `Page ${number} repeats a page`, loaded.request);
        previous = loaded.text;
        total = loaded.total ?? total;
        pageSize = loaded.items.length || pageSize;
        fetchedPages++;
        fetchedItems += loaded.items.length;
        const next = strategy.next({ ...loaded, position: current.position, index, total, number });
        const nextUrl = next === undefined ? undefined : pageUrl(next);
        const fetched: FetchedPage = { ...loaded, position: current.position, number, index, next, nextUrl };
        if (next === undefined || !nextUrl) return yield fetched;
        if (concurrency > 1 && fetchedPages < plan.pagesBudget && fetchedItems < plan.itemsBudget) {
          try {
            fill(next, nextUrl, number + 1, loaded.request);
          } catch {
            // A loop or another origin: refused again below, once this page is delivered.
          }
        }
        yield fetched;
        // The consumer wants more: the next page is due even at concurrency 1.
        fill(next, nextUrl, number + 1, loaded.request);
        current = queue.shift() as Pending;
        index += loaded.items.length;
        number++;
      }
    } finally {
      discard();
    }
  };
}
