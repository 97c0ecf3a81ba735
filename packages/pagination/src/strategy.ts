import { PaginationError } from '@ferrule/core';

/** A value that survives `JSON.stringify` and `JSON.parse` unchanged: what a position must be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a strategy is told about a page it must find the successor of. */
export interface PageState<Position extends JsonValue = JsonValue> {
  /** Where this page is. */
  readonly position: Position;
  /** The URL this page was fetched from; relative links resolve against it. */
  readonly url: URL;
  /** The method and URL of the page's request, for errors (`FerruleError` redacts the URL). */
  readonly request: { readonly method: string; readonly url: string };
  /** The page's response; its body has been read. */
  readonly response: Response;
  /** The parsed JSON body (`undefined` for an empty body). */
  readonly body: unknown;
  /** The page's items, all of them, validated. */
  readonly items: readonly unknown[];
  /** How many items come before this page: the index of its first item. */
  readonly index: number;
  /** The total number of items, when the page told it. */
  readonly total: number | undefined;
  /** The page's number, 1 for the first page. */
  readonly number: number;
}

/**
 * One style of pagination: where the first page is, how a position becomes a URL, and where the
 * next page is. Positions are plain JSON, so that a checkpoint holding one can be stored anywhere.
 * `offset`, `page`, `cursor`, `linkHeader`, `nextUrl` and `timeWindow` are strategies; write your
 * own for any other style.
 * @example
 * const everyOther: PaginationStrategy<number> = {
 *   name: 'every-other',
 *   start: () => 1,
 *   isPosition: (value): value is number => typeof value === 'number',
 *   url(url, position) {
 *     url.searchParams.set('page', String(position));
 *     return url;
 *   },
 *   next: ({ position, items }) => (items.length ? position + 2 : undefined),
 * };
 */
export interface PaginationStrategy<Position extends JsonValue = JsonValue> {
  /** Stored in checkpoints: a checkpoint resumes only with a strategy of the same name. */
  readonly name: string;
  /** The position of the first page; `now` is the clock's time when `paginate` was called. */
  start(context: { url: URL; now: number }): Position;
  /** Whether a value read from a checkpoint is a position of this strategy. */
  isPosition(value: unknown): value is Position;
  /** The URL of the page at `position`. `url` is a fresh copy of the input URL: change it or return another. */
  url(url: URL, position: Position): URL;
  /** The position of the page after this one, or `undefined` when this page is the last. */
  next(page: PageState<Position>): Position | undefined;
  /** The total number of items, read from a page (a count, `undefined` when the page does not say). */
  total?(body: unknown, response: Response): unknown;
  /**
   * Where the page after `position` is if every page is full, or `undefined` past the end or when
   * that cannot be known. Lets `paginate` fetch pages ahead in parallel (`concurrency`).
   */
  ahead?(position: Position, known: { total: number | undefined; pageSize: number }): Position | undefined;
}

/**
 * Where a value is in a body: a dotted path (`'data.items'`), or a function of the body and the response.
 * @example
 * const items: Extractor = 'data';
 * const cursor: Extractor = (body, response) => response.headers.get('x-next-cursor');
 */
export type Extractor = string | ((body: unknown, response: Response) => unknown);

/** Compiles an {@link Extractor} once into a function. */
export function extractor(spec: Extractor): (body: unknown, response: Response) => unknown {
  if (typeof spec === 'function') return spec;
  const keys = spec === '' ? [] : spec.split('.');
  return function atPath(body) {
    let value = body;
    for (const key of keys) value = (value as Record<string, unknown> | null | undefined)?.[key];
    return value;
  };
}

/** The URL `value` names (resolved against `base`), or `undefined`; `URL.parse` is too recent for some runtimes. */
export const toUrl = (value: unknown, base?: string): URL | undefined => {
  try {
    return typeof value === 'string' || value instanceof URL ? new URL(value, base) : undefined;
  } catch {
    return undefined;
  }
};

/** Throws a `PaginationError`: pagination cannot go on safely. */
export function refuse(reason: string, message: string, request?: { method: string; url: string }): never {
  throw new PaginationError(reason, message, { request });
}

/** Whether a value read from a page means "none": `undefined`, `null` or `''`. */
export const isBlank = (value: unknown): value is undefined | null | '' =>
  value === undefined || value === null || value === '';

// The default source of the total for offset and page: json-server, Rails, Django and many more send it.
export const totalCountHeader = (_body: unknown, response: Response) => response.headers.get('x-total-count');

export const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
