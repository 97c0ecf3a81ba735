import type { ConnectionOptions } from 'node:tls';
import { ConfigError, type FetchFunction, TAKES_REQUEST, validateOptions } from '@ferrule/core';
import { Agent, type Dispatcher } from 'undici';
import * as v from 'valibot';
import { Exchange, type ExchangeSettings } from './exchange.ts';

/**
 * Options of {@link undiciFetch}.
 * @example
 * undiciFetch({ connections: 64, keepAliveTimeoutMs: 30_000, allowH2: true });
 */
export interface UndiciFetchOptions {
  /** Most connections kept to one origin. @default unlimited */
  connections?: number;
  /**
   * Requests in flight on one HTTP/1.1 connection; 1 is plain keep-alive, 0 closes each connection after
   * use. Above 1, GET and HEAD requests are sent without waiting for the previous response (a slow
   * response then holds up the ones behind it); other methods still wait their turn. @default 1
   */
  pipelining?: number;
  /** How long an idle connection stays open for the next request. A server's `Keep-Alive: timeout` hint may lower it. @default 4_000 */
  keepAliveTimeoutMs?: number;
  /** Gives up connecting (DNS, TCP and TLS) after this long; 0 never. @default 10_000 */
  connectTimeoutMs?: number;
  /** Gives up when the response headers take longer than this; 0 never. A transport safety net, not a call deadline. @default 300_000 */
  headersTimeoutMs?: number;
  /** Gives up when the body goes quiet this long between two chunks; 0 never. @default 300_000 */
  bodyTimeoutMs?: number;
  /** Speaks HTTP/2 with servers that offer it through TLS ALPN. @default false */
  allowH2?: boolean;
  /** TLS settings of every connection: a private CA, a client certificate, `servername`. @default Node's defaults */
  tls?: ConnectionOptions;
  /** Redirects followed for a request whose `redirect` is `'follow'`. @default 20 */
  maxRedirects?: number;
  /** Asks for gzip, deflate and br and decodes them (and zstd), as fetch does. @default true */
  decompress?: boolean;
  /** Your own undici dispatcher (a `ProxyAgent`, a `MockAgent`, a tuned `Pool`), instead of the connection options. */
  dispatcher?: Dispatcher;
}

/**
 * A fetch function on undici's dispatcher API, with the dispatcher it sends through.
 * @example
 * await using fetch = undiciFetch();
 * const response = await fetch('https://api.example.com/items');
 */
export interface UndiciFetch extends FetchFunction {
  /** The dispatcher every request goes through. */
  readonly dispatcher: Dispatcher;
  /** Closes the connections of the agent this function made (a `dispatcher` you passed in stays open). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** Tells `createFetch` to hand over its Request as it is: this fetch builds none of its own. */
  readonly [TAKES_REQUEST]: true;
}

const count = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

const UndiciFetchOptionsSchema = v.strictObject({
  connections: v.optional(count(1)),
  pipelining: v.optional(count(0), 1),
  keepAliveTimeoutMs: v.optional(count(1), 4_000),
  connectTimeoutMs: v.optional(count(0), 10_000),
  headersTimeoutMs: v.optional(count(0), 300_000),
  bodyTimeoutMs: v.optional(count(0), 300_000),
  allowH2: v.optional(v.boolean(), false),
  tls: v.optional(v.record(v.string(), v.unknown())),
  maxRedirects: v.optional(count(0), 20),
  decompress: v.optional(v.boolean(), true),
  dispatcher: v.optional(
    v.custom<Dispatcher>(
      (value) => typeof (value as Dispatcher | null)?.dispatch === 'function',
      'an undici Dispatcher',
    ),
  ),
});

// Options that still apply when a dispatcher is given; every other one tunes the agent made here.
const NOT_CONNECTION = new Set(['dispatcher', 'maxRedirects', 'decompress']);

// With an init that sets nothing but the signal (or ferrule's per-call options), a Request passed in is
// sent as it is; anything else builds a new Request from both, exactly as fetch would.
const changesRequest = (init: RequestInit | undefined) => {
  for (const key in init) if (key !== 'signal' && key !== 'ferrule') return true;
  return false;
};

const isHttp = (url: string) => /^https?:/.test(url);

// Like fetch's, but without the browser-only headers (`Sec-Fetch-Mode`, `Accept-Language: *`).
function headersOf({ headers }: Request, decompress: boolean): string[] {
  const list: string[] = [];
  for (const [name, value] of headers) list.push(name, value);
  if (!headers.has('accept')) list.push('accept', '*/*');
  // Some APIs (GitHub's among them) refuse a request without one; fetch sends `node` too.
  if (!headers.has('user-agent')) list.push('user-agent', 'node');
  if (decompress && !headers.has('accept-encoding')) list.push('accept-encoding', 'gzip, deflate, br');
  return list;
}

function createAgent(options: v.InferOutput<typeof UndiciFetchOptionsSchema>): Agent {
  return new Agent({
    // `undefined` connections: no limit per origin.
    connections: options.connections as number,
    pipelining: options.pipelining,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    allowH2: options.allowH2,
    connect: { ...options.tls, timeout: options.connectTimeoutMs },
  });
}

/**
 * A fetch for Node that sends through undici's dispatcher API instead of Node's built-in fetch: the
 * same `Response` (streamed body, headers, status, `url`, `redirected`), abort at any point, request
 * bodies including streams, redirects per the request's `redirect` mode, gzip/deflate/br/zstd decoding,
 * with tunable keep-alive, pipelining and HTTP/2 — and without fetch's per-request machinery. Use it as
 * the terminal `fetch` of `createFetch` or `createClient`. URLs other than http(s) go to `globalThis.fetch`.
 * @example
 * import { undiciFetch } from '@ferrule/transport/undici';
 * const fetch = undiciFetch({ connections: 64, keepAliveTimeoutMs: 30_000 });
 * const api = createClient({ baseUrl: 'https://api.example.com/', fetch });
 * // on shutdown
 * await fetch.close();
 */
export function undiciFetch(options: UndiciFetchOptions = {}): UndiciFetch {
  const parsed = validateOptions(UndiciFetchOptionsSchema, options, 'undiciFetch');
  const conflict = Object.keys(options).find((name) => !NOT_CONNECTION.has(name));
  if (parsed.dispatcher && conflict) {
    throw new ConfigError(`undiciFetch.${conflict}`, 'no connection option next to `dispatcher`');
  }
  const ownAgent = parsed.dispatcher ? undefined : createAgent(parsed);
  const dispatcher = parsed.dispatcher ?? (ownAgent as Agent);
  const settings: ExchangeSettings = {
    dispatcher,
    maxRedirects: parsed.maxRedirects,
    decompress: parsed.decompress,
    pipelined: parsed.pipelining > 1,
  };

  const fetch = function undiciFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    try {
      const request = input instanceof Request && !changesRequest(init) ? input : new Request(input, init);
      if (!isHttp(request.url)) return globalThis.fetch(request, init);
      if (request.bodyUsed) throw new TypeError('Body is unusable');
      const signal = init?.signal !== undefined ? init.signal : request.signal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      const headers = headersOf(request, settings.decompress);
      return new Exchange(request.url, request.method, headers, signal, request.redirect, settings).run(request.body);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const close = async () => ownAgent?.close();
  return Object.assign(fetch, { dispatcher, close, [Symbol.asyncDispose]: close, [TAKES_REQUEST]: true as const });
}
