import { type FetchFunction, ParseError, type StandardSchemaV1, ValidationError, validateData } from '@ferrule/core';
import { isBlank, isCount, type JsonValue, type PaginationStrategy, refuse } from './strategy.ts';

declare module '@ferrule/core' {
  interface CallOptions {
    /** Set by `paginate` on every page request: which page of which strategy this call fetches. */
    pagination?: { page: number; strategy: string };
  }
}

/** The method and URL of a request, for errors (which redact the URL). */
export interface RequestFacts {
  method: string;
  url: string;
}

/** A page as fetched, parsed, extracted and validated. */
export interface LoadedPage {
  url: URL;
  request: RequestFacts;
  response: Response;
  body: unknown;
  /** The body as it came, to tell a page that repeats the one before it. */
  text: string;
  items: unknown[];
  total: number | undefined;
}

/** What a page loader needs to know, fixed for a whole pagination. */
export interface LoaderOptions {
  fetch: FetchFunction;
  /** The pagination's input: a `Request` lends its method, headers and body to every page. */
  input: string | URL | Request;
  init: RequestInit;
  strategy: PaginationStrategy<JsonValue>;
  items: (body: unknown, response: Response) => unknown;
  schema: StandardSchemaV1 | undefined;
}

// A count, as a number or a numeric string (a header); `undefined` when the page does not tell.
function readTotal(value: unknown, request: RequestFacts): number | undefined {
  const total = isBlank(value) ? undefined : Number(typeof value === 'boolean' ? Number.NaN : value);
  return total === undefined || isCount(total) ? total : refuse('bad-count', 'Total is not a count', request);
}

// An empty body (204 No Content too) is an empty page.
function parseJson(text: string, response: Response, request: RequestFacts): unknown {
  try {
    return /\S/.test(text) ? JSON.parse(text) : undefined;
  } catch {
    // No `cause`: a JSON.parse message quotes the body, which may hold a secret.
    const contentType = response.headers.get('content-type') ?? undefined;
    throw new ParseError('Page body is not JSON', response.status, contentType, { request });
  }
}

// Validates each item; the Standard Schema call is synchronous for most libraries, so the common
// path awaits nothing. A failure is described by core's `validateData`, its paths led by the item's index.
async function validateItems(schema: StandardSchemaV1, raw: unknown[], request: RequestFacts) {
  const items: unknown[] = [];
  for (const item of raw) {
    let result = schema['~standard'].validate(item);
    if (result instanceof Promise) result = await result;
    if (result.issues) {
      const { issues } = (await validateData(schema, item).catch((error) => error)) as ValidationError;
      const index = items.length;
      const prefixed = issues.map(({ path, message }) => ({ path: path ? `${index}.${path}` : `${index}`, message }));
      throw new ValidationError(prefixed, { request });
    }
    items.push(result.value);
  }
  return items;
}

/**
 * Makes the function that fetches one page: sends the request with the pagination's init, refuses a
 * non-2xx answer, parses JSON, extracts the items and validates them.
 */
export function pageLoader({ fetch, input, init: given, strategy, items: itemsAt, schema }: LoaderOptions) {
  const init = input instanceof Request ? fromRequest(input, given) : given;
  const method = (init.method ?? 'GET').toUpperCase();
  // A body is read from the input `Request` once (from a copy: the caller's stays unread), then reused.
  const source = input instanceof Request && input.body && given.body === undefined ? input.clone() : undefined;
  let body: Promise<ArrayBuffer> | undefined;
  const readBody = (from: Request) => {
    body ??= from.arrayBuffer();
    return body;
  };
  async function loadPage(url: URL, number: number, signal: AbortSignal): Promise<LoadedPage> {
    const request = { method, url: url.href };
    const response = await fetch(url.href, {
      ...init,
      ...(source && { body: await readBody(source) }),
      signal,
      ferrule: { ...init.ferrule, pagination: { page: number, strategy: strategy.name } },
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      refuse('status', `Page ${number} answered HTTP ${response.status}`, request);
    }
    const text = await response.text();
    const parsed = parseJson(text, response, request);
    const raw = parsed === undefined ? [] : itemsAt(parsed, response);
    if (!Array.isArray(raw))
      refuse('not-array', `Page ${number} items are not an array but ${raw === null ? 'null' : typeof raw}`, request);
    return {
      url,
      request,
      response,
      body: parsed,
      text,
      items: schema ? await validateItems(schema, raw, request) : raw,
      total: readTotal(strategy.total?.(parsed, response), request),
    };
  }
  return { method, load: loadPage };
}

// The method and headers of a `Request`, under what `init` sets.
function fromRequest(input: Request, init: RequestInit): RequestInit {
  const headers = new Headers(input.headers);
  for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
  return { method: input.method, ...init, headers };
}
