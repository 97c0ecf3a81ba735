import { isSensitiveName } from '@ferrule/core';

/** What the fast path sends: the parts of a request that a redirect may change. */
export interface Outgoing {
  /** The absolute URL, without a fragment. */
  url: string;
  /** `scheme://host[:port]` */
  origin: string;
  /** Path and query. */
  path: string;
  method: string;
  /** Flat `[name, value, name, value, …]`, names in lower case. */
  headers: string[];
  body: Uint8Array | AsyncIterable<Uint8Array> | null;
  /** Whether `body` can be sent again (it was buffered, not streamed). */
  replayable: boolean;
}

// Fetch standard §4.4 "HTTP-redirect fetch", step 12: headers that describe a body that is dropped.
const BODY_HEADERS = new Set([
  'content-encoding',
  'content-language',
  'content-location',
  'content-type',
  'content-length',
]);

/** Splits an absolute http(s) URL into origin and path, dropping the fragment (never sent). */
export function splitUrl(url: string): { url: string; origin: string; path: string } {
  const hash = url.indexOf('#');
  const href = hash === -1 ? url : url.slice(0, hash);
  // A serialized http(s) URL always has a path, at least `/`, after `scheme://authority`.
  const slash = href.indexOf('/', href.indexOf('//') + 2);
  return { url: href, origin: href.slice(0, slash), path: href.slice(slash) };
}

/**
 * Moves `outgoing` to the target of a redirect as fetch does (Fetch standard §4.4): 301/302 turn a
 * POST into a GET and 303 turns anything but GET/HEAD into a GET, dropping the body and its headers;
 * 307/308 resend the same body, which must have been buffered. Unlike fetch, which drops only
 * `Authorization`, a redirect to another origin drops every header that may carry a credential
 * (`Cookie`, `X-Api-Key`, `Proxy-Authorization`, …): credentials never go to another origin.
 * Throws when the target is not http(s) or the body cannot be sent again.
 */
export function redirect(outgoing: Outgoing, status: number, location: string): void {
  const target = new URL(location, outgoing.url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TypeError(`redirect to a ${target.protocol} URL`);
  }
  const { method } = outgoing;
  const toGet =
    ((status === 301 || status === 302) && method === 'POST') ||
    (status === 303 && method !== 'GET' && method !== 'HEAD');
  if (!toGet && outgoing.body !== null && !outgoing.replayable) {
    throw new TypeError('cannot resend a streamed request body');
  }
  const next = splitUrl(target.href);
  const crossOrigin = next.origin !== outgoing.origin;
  const headers: string[] = [];
  for (let index = 0; index < outgoing.headers.length; index += 2) {
    const name = outgoing.headers[index] as string;
    if ((toGet && BODY_HEADERS.has(name)) || (crossOrigin && isSensitiveName(name))) continue;
    headers.push(name, outgoing.headers[index + 1] as string);
  }
  outgoing.url = next.url;
  outgoing.origin = next.origin;
  outgoing.path = next.path;
  outgoing.headers = headers;
  if (toGet) {
    outgoing.method = 'GET';
    outgoing.body = null;
  }
}
