import { AuthError, abortable, type Context, type Middleware, matchRoute, type RouteMatcher } from '@ferrule/core';
import { array, function as fn, integer, minValue, number, optional, pipe, regex, string, union, url } from 'valibot';

declare module '@ferrule/core' {
  interface CallOptions {
    /** Options of `@ferrule/auth` for one call: `{ skip: true }` sends it without any credential. */
    auth?: { skip?: boolean };
  }
}

/**
 * A secret, or a function that reads it at call time (from the environment, a secrets manager).
 * @example
 * const token: Secret = () => process.env.API_TOKEN ?? '';
 */
export type Secret = string | (() => string | Promise<string>);

/** How a credential stays with its origin. Every credential middleware takes these options. */
export interface CredentialOptions {
  /**
   * Only requests that match get the credential (`'https://api.example.com/**'`, a predicate);
   * the others pass through untouched.
   * @default every request
   */
  match?: RouteMatcher;
  /**
   * Origins besides the request's own that may receive the credential when a response redirects
   * there, e.g. `['https://uploads.example.com']`.
   * @default []
   */
  allowedOrigins?: readonly string[];
  /** Redirects followed before the call fails with a `TypeError`, as fetch does. @default 20 */
  maxRedirects?: number;
}

/** What a credential middleware does to each request it sends (internal contract of this package). */
export interface Scheme {
  /** The `scheme` of its `auth` events. */
  name: string;
  /** Sets the credential on a request this package built (its headers are ours to change). */
  sign(request: Request, body: ArrayBuffer | null, context: Context): void | Promise<void>;
  /** Rewrites the URL before the request is built (an API key in the query). */
  url?(url: string, request: Request): Promise<string>;
  /** Whether an answer calls for one more try with a fresh credential (a 401 for a stale token). */
  replay?(response: Response, sent: Request): boolean;
}

// Values that can go into a header as they are: no CR, LF or NUL (header injection), no code point
// above 255 (not a ByteString). Checked here, so that fetch never quotes a secret in its TypeError.
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]+$/;

/** Whether `value` is a non-empty string that can go into a header as it is. */
export const isHeaderSafe = (value: unknown): value is string => typeof value === 'string' && HEADER_SAFE.test(value);

/** The valibot schema of a non-empty, header-safe string. */
export const secretString = (expected = 'a non-empty string without line breaks') =>
  pipe(string(), regex(HEADER_SAFE, expected));

/** The valibot schema of a header name (RFC 9110 §5.1: a token). */
export const headerName = () => pipe(string(), regex(/^[!#$%&'*+.^`|~\w-]+$/, 'a header name'));

/** The valibot schema of a {@link Secret}. */
export const secretSchema = (expected = 'a non-empty string without line breaks, or a function') =>
  union([secretString(expected), fn()], expected);

/** The valibot entries of {@link CredentialOptions}. */
export const credentialEntries = () => ({
  match: optional(union([string(), fn()], 'a route pattern or a predicate')),
  allowedOrigins: optional(array(pipe(string(), url('an origin such as https://api.example.com')))),
  maxRedirects: optional(pipe(number(), integer(), minValue(0))),
});

/**
 * Reads a secret: a string as it is, a provider now. A provider that fails, or gives anything but a
 * header-safe string, fails the call with an `AuthError` that never holds the value.
 */
export const reveal = (secret: Secret, scheme: string, request: Request): string | Promise<string> => {
  if (typeof secret === 'string') return secret;
  const fail = (cause?: unknown): never => {
    throw new AuthError(`${scheme}: the credential provider gave no usable value`, {}, { request, cause });
  };
  return (async () => {
    let value: unknown;
    try {
      value = await secret();
    } catch (cause) {
      fail(cause);
    }
    return isHeaderSafe(value) ? value : fail();
  })();
};

/** Runs `apply` on a value that may still be on its way, without a needless await for a ready one. */
export const whenReady = <Value>(value: Value | Promise<Value>, apply: (value: Value) => void): void | Promise<void> =>
  value instanceof Promise ? value.then(apply) : apply(value);

// Fetch §4.4 HTTP-redirect fetch: a method rewritten to GET loses its body and these headers (step 11);
// a cross-origin hop loses Authorization (step 13), and undici drops Cookie and Proxy-Authorization too.
const REDIRECTS = [301, 302, 303, 307, 308];
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];
const CROSS_ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** One request of a redirect chain, before it is built. */
interface Hop {
  url: string;
  method: string;
  headers: Headers;
  body: ArrayBuffer | null;
  /** Whether the credential goes with it: the chain has not left the trusted origins. */
  signing: boolean;
}

const without = (headers: Headers, names: readonly string[]) => {
  const copy = new Headers(headers);
  for (const name of names) copy.delete(name);
  return copy;
};

// The next hop of a chain after a 3xx to `location`, by the rules of the Fetch standard.
function redirect(hop: Hop, status: number, location: string, trusted: (origin: string) => boolean): Hop {
  const from = new URL(hop.url);
  const to = new URL(location, from);
  if (!to.protocol.startsWith('http')) throw new TypeError('Redirect to a URL that is not HTTP(S)');
  let { method, headers, body } = hop;
  if (to.origin !== from.origin) headers = without(headers, CROSS_ORIGIN_HEADERS);
  if ((status === 303 && method !== 'GET' && method !== 'HEAD') || (status < 303 && method === 'POST')) {
    method = 'GET';
    body = null;
    headers = without(headers, BODY_HEADERS);
  }
  return { url: to.href, method, headers, body, signing: hop.signing && trusted(to.origin) };
}

// Builds the request of one hop and signs it, or reports that its credential is withheld.
async function build(scheme: Scheme, request: Request, context: Context, init: RequestInit, hop: Hop) {
  const { url, method, headers, body, signing } = hop;
  const target = signing && scheme.url ? await abortable(scheme.url(url, request), context.signal) : url;
  const sent = new Request(target, {
    ...init,
    method,
    headers,
    body,
  });
  if (!signing) {
    context.emit({ type: 'auth', scheme: scheme.name, action: 'withheld', reason: 'cross-origin redirect' });
    return sent;
  }
  // A provider, a key store or a token endpoint that hangs must not hold an aborted call.
  const pending = scheme.sign(sent, body, context);
  if (pending) await abortable(pending, context.signal);
  return sent;
}

// The URL without a query credential, so that it does not leak through `response.url`.
const settle = (response: Response, url: string, hops: number, scheme: Scheme) => {
  if (hops || scheme.url) Object.defineProperties(response, { redirected: { value: hops > 0 }, url: { value: url } });
  return response;
};

// The request's own settings, for each request this layer builds; redirects come back to it.
const settingsOf = (request: Request): RequestInit => ({
  redirect: request.redirect === 'follow' ? 'manual' : request.redirect,
  credentials: request.credentials,
  mode: request.mode === 'navigate' ? 'same-origin' : request.mode,
  cache: request.cache,
  referrerPolicy: request.referrerPolicy,
  keepalive: request.keepalive,
});

/**
 * Turns a {@link Scheme} into a middleware that keeps the credential with its origin. fetch follows
 * redirects itself and keeps custom headers such as `X-API-Key` on the way to another host (got and
 * axios had CVEs for exactly this), so each request is handed on with `redirect: 'manual'` and this
 * layer follows 3xx itself — method rewrites, body and header rules and the redirect limit of the
 * Fetch standard — signing again for the same origin or an allowed one, and never after the chain
 * has left them. The caller's `redirect: 'manual' | 'error'` is respected as it is. The body is
 * buffered once, so a 307/308 or a replay can send it again.
 */
export function credentialed(
  scheme: Scheme,
  {
    match,
    allowedOrigins = [],
    maxRedirects = 20,
  }: { [Key in keyof CredentialOptions]?: CredentialOptions[Key] | undefined },
): Middleware {
  const applies = match === undefined ? undefined : matchRoute(match);
  const allowed = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  return async function credential(request, context, next) {
    if (context.options.auth?.skip || applies?.(request) === false) return next(request, context);
    const init = settingsOf(request);
    const follows = request.redirect === 'follow';
    const first: Hop = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.body === null ? null : await abortable(request.arrayBuffer(), context.signal),
      signing: true,
    };
    const home = () => new URL(request.url).origin;
    const trusted = (origin: string) => origin === home() || allowed.has(origin);
    let hop = first;
    let hops = 0;
    let replayed = false;
    for (;;) {
      const sent = await build(scheme, request, context, init, hop);
      const response = await next(sent, context);
      const { status } = response;
      const location = follows && REDIRECTS.includes(status) ? response.headers.get('location') : null;
      const again = location === null && hop.signing && !replayed && scheme.replay?.(response, sent) === true;
      if (location === null && !again) return settle(response, hop.url, hops, scheme);
      await response.body?.cancel();
      if (location !== null) {
        if (++hops > maxRedirects) throw new TypeError(`Redirect count exceeded (${maxRedirects})`);
        hop = redirect(hop, status, location, trusted);
        continue;
      }
      replayed = true;
      context.emit({ type: 'auth', scheme: scheme.name, action: 'replayed', reason: `status ${status}` });
      hop = first;
      hops = 0;
    }
  };
}
