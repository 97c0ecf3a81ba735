import { parseHttpDate } from '@ferrule/core';
import { type Directives, deltaMs } from './cache-control.ts';

/**
 * What the cache keeps about a stored response: the `metadata` of its `CacheRecord`. The response
 * itself (status and every header it arrived with) plus the figures the cache needs on each use,
 * computed once when the response is stored or freshened. For stores that want to look inside.
 * @example
 * const stored = (await store.get(key))?.metadata as StoredResponse | undefined;
 */
export interface StoredResponse {
  url: string;
  status: number;
  statusText: string;
  headers: [string, string][];
  /** When the request that produced this response was sent, by the cache's clock. */
  requestTime: number;
  /** When the response was received. */
  responseTime: number;
  /** `corrected_initial_age` of RFC 9111 §4.2.3. */
  initialAgeMs: number;
  /** The freshness lifetime (RFC 9111 §4.2.1); 0 for `no-cache`. */
  lifetimeMs: number;
  /** RFC 5861 windows sent by the origin, when it sent them. */
  staleWhileRevalidateMs?: number;
  staleIfErrorMs?: number;
  /** Never answered stale: `no-cache`, `must-revalidate` (and in a shared cache `proxy-revalidate`, `s-maxage`). */
  strict: boolean;
  /** `public`: may answer requests with other credentials or none. */
  public: boolean;
  /** The time to live a TTL rule or per-call option forced on this response. */
  ttlMs?: number;
}

/** Unqualified `no-cache`; a conflicting or empty argument counts as unqualified. */
export const isNoCache = (argument: string | true | undefined) => argument === true || argument === '';

/**
 * Whether a response to a GET may be stored at all (RFC 9111 §3, §3.5), before its size is known.
 * `ttlMs` (a TTL rule) stands in for explicit freshness, for heuristically cacheable status codes only.
 */
export function storable(status: number, exchange: Exchange, credentialed: boolean): boolean {
  const { directives, headers, shared, ttlMs } = exchange;
  // must-understand (§5.2.2.3): store only status codes we understand, and then ignore no-store.
  const understood = HEURISTIC.has(status);
  if (directives.has('must-understand') ? !understood : directives.has('no-store')) return false;
  if (status < 200 || status > 599 || status === 206 || status === 304) return false;
  if (shared && isNoCache(directives.get('private'))) return false;
  if (shared && credentialed && !['public', 'must-revalidate', 's-maxage'].some((name) => directives.has(name))) {
    return false;
  }
  if (ttlMs !== undefined) return understood;
  return (
    understood ||
    ['public', 'max-age', ...(shared ? ['s-maxage'] : ['private'])].some((name) => directives.has(name)) ||
    headers.has('expires')
  );
}

/** The header fields a decision reads: a `Headers`, or the few of them {@link fieldsOf} picked out. */
export type Fields = Pick<Headers, 'get' | 'has'>;

const FIELDS = new Set([
  'age',
  'cache-control',
  'connection',
  'content-length',
  'date',
  'etag',
  'expires',
  'last-modified',
  'set-cookie',
  'vary',
]);

/** The fields the cache decides on, read in one pass: `Headers.get` is slow enough to count on every call. */
export function fieldsOf(headers: Headers): Fields {
  const found = new Map<string, string>();
  headers.forEach((value, name) => {
    if (FIELDS.has(name)) found.set(name, value);
  });
  return { get: (name) => found.get(name) ?? null, has: (name) => found.has(name) };
}

/** The facts of an exchange the freshness of its response is computed from. */
export interface Exchange {
  headers: Fields;
  directives: Directives;
  requestTime: number;
  responseTime: number;
  shared: boolean;
  ttlMs: number | undefined;
}

// RFC 9110 §15.1: status codes that are heuristically cacheable. 206 is left out: partial content is never stored.
export const HEURISTIC = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/** RFC 9111 §5.1: `Age` is a single non-negative integer; anything else is ignored. */
const ageMs = (value: string | null) => (value && /^\d+$/.test(value) ? Math.min(Number(value), 2 ** 31) * 1000 : 0);

/** The freshness figures of a response, as {@link StoredResponse} keeps them. */
export function freshness(status: number, exchange: Exchange) {
  const { headers, directives, requestTime, responseTime, shared, ttlMs } = exchange;
  const noCache = isNoCache(directives.get('no-cache'));
  const strict =
    noCache ||
    directives.has('must-revalidate') ||
    (shared && (directives.has('proxy-revalidate') || directives.has('s-maxage')));
  const swr = deltaMs(directives, 'stale-while-revalidate');
  const sie = deltaMs(directives, 'stale-if-error');
  const figures = {
    strict,
    public: directives.has('public'),
    ...(swr !== undefined && { staleWhileRevalidateMs: swr }),
    ...(sie !== undefined && { staleIfErrorMs: sie }),
  };
  // A TTL rule counts from the moment the response arrived, whatever its headers say.
  if (ttlMs !== undefined) return { ...figures, initialAgeMs: 0, lifetimeMs: noCache ? 0 : ttlMs, ttlMs };
  // RFC 9111 §4.2.3, with the Date of the response, or the time it arrived when it has none (RFC 9110 §6.6.1).
  const date = parseHttpDate(headers.get('date')) ?? responseTime;
  const apparentAgeMs = Math.max(0, responseTime - date);
  const correctedAgeMs = ageMs(headers.get('age')) + (responseTime - requestTime);
  const initialAgeMs = Math.max(apparentAgeMs, correctedAgeMs);
  return { ...figures, initialAgeMs, lifetimeMs: noCache ? 0 : lifetime(status, headers, directives, date, shared) };
}

// RFC 9111 §4.2.1 (explicit) and §4.2.2 (heuristic).
function lifetime(status: number, headers: Fields, directives: Directives, date: number, shared: boolean): number {
  const explicit = shared && directives.has('s-maxage') ? 's-maxage' : directives.has('max-age') ? 'max-age' : '';
  // Invalid or conflicting freshness information means stale (RFC 9111 §4.2.1).
  if (explicit) return deltaMs(directives, explicit) ?? 0;
  const expires = headers.get('expires');
  // An invalid Expires, `0` in particular, is a time in the past (RFC 9111 §5.3).
  if (expires !== null) return Math.max(0, (parseHttpDate(expires) ?? 0) - date);
  const lastModified = parseHttpDate(headers.get('last-modified'));
  if (lastModified === undefined || !(HEURISTIC.has(status) || directives.has('public'))) return 0;
  // A tenth of the time since the last change, as RFC 9111 §4.2.2 suggests.
  return Math.max(0, Math.floor((date - lastModified) / 10));
}

/** `current_age` of RFC 9111 §4.2.3. */
export const currentAgeMs = (stored: Pick<StoredResponse, 'initialAgeMs' | 'responseTime'>, nowMs: number) =>
  stored.initialAgeMs + Math.max(0, nowMs - stored.responseTime);
