import { type CacheRecord, type CacheStatus, parseHttpDate } from '@ferrule/core';
import { type Directives, fieldNames, parseCacheControl } from './cache-control.ts';
import { type Exchange, freshness, type StoredResponse } from './freshness.ts';

/** A stored response found for a request: where it lives and what it is. */
export interface Found {
  key: string;
  record: CacheRecord;
  stored: StoredResponse;
  /** Kept for the request's own credential (or none), rather than shared from another's. */
  own: boolean;
}

// RFC 9110 §7.6.1: fields that belong to one connection are never stored (RFC 9111 §3.1).
const CONNECTION_FIELDS = ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade'];
// RFC 9111 §3.2: a 304 or HEAD never updates these; the stored body was decoded by fetch and keeps its length.
const NOT_UPDATED = new Set([...CONNECTION_FIELDS, 'content-length', 'content-encoding', 'content-range']);

/** The value of a stored header (names are stored in lower case, as `Headers` yields them). */
export const header = (stored: StoredResponse, name: string): string | undefined =>
  stored.headers.find((entry) => entry[0] === name)?.[1];

/** Whether metadata read from a store is a response this version of the cache stored. */
export const isStoredResponse = (metadata: unknown): metadata is StoredResponse => {
  const stored = metadata as Partial<StoredResponse> | undefined;
  return (
    Array.isArray(stored?.headers) &&
    (stored.status as number) >= 200 &&
    (stored.status as number) <= 599 &&
    [stored.lifetimeMs, stored.responseTime, stored.initialAgeMs].every(Number.isFinite)
  );
};

/** The header fields to store: every one received, except those RFC 9111 §3.1 leaves out. */
export function storedHeaders(
  headers: Headers,
  connection: string | null,
  directives: Directives,
  shared: boolean,
): [string, string][] {
  // Age is generated afresh on every use (RFC 9111 §5.1); the age it arrived with is in initialAgeMs.
  const omitted = new Set([
    'age',
    ...CONNECTION_FIELDS,
    ...fieldNames(connection ?? undefined),
    ...fieldNames(directives.get('no-cache')),
    ...(shared ? fieldNames(directives.get('private')) : []),
  ]);
  return [...headers].filter(([name]) => !omitted.has(name));
}

/**
 * Whether a 304 or a HEAD response describes the stored response (RFC 9111 §4.3.4, §4.3.5): no validator
 * it carries may differ from the stored one, and at least one must match, except that a 304 without any
 * validator (`lenient`) is taken to confirm the response it was asked about. A HEAD must also agree on
 * Content-Length.
 */
export function describes(headers: Headers, stored: StoredResponse, lenient: boolean): boolean {
  let matched = false;
  for (const name of lenient ? ['etag', 'last-modified'] : ['etag', 'last-modified', 'content-length']) {
    const received = headers.get(name);
    const kept = header(stored, name);
    if (received === null || kept === undefined) continue;
    if (received !== kept) return false;
    matched ||= name !== 'content-length';
  }
  return matched || (lenient && !headers.has('etag') && !headers.has('last-modified'));
}

/**
 * The stored response updated with the header fields of a 304 or HEAD response (RFC 9111 §3.2), its
 * age and freshness recomputed from that exchange (§4.3.4). The stored body is kept as it is.
 */
export function freshen(
  found: Found,
  headers: Headers,
  exchange: Pick<Exchange, 'requestTime' | 'responseTime' | 'shared'>,
): CacheRecord {
  const merged = new Headers(found.stored.headers);
  const replaced = new Set<string>();
  for (const [name, value] of headers) {
    if (NOT_UPDATED.has(name)) continue;
    if (replaced.has(name)) merged.append(name, value);
    else merged.set(name, value);
    replaced.add(name);
  }
  const directives = parseCacheControl(merged.get('cache-control'));
  const stored: StoredResponse = {
    ...found.stored,
    headers: storedHeaders(merged, merged.get('connection'), directives, exchange.shared),
    requestTime: exchange.requestTime,
    responseTime: exchange.responseTime,
    ...freshness(found.stored.status, { ...exchange, headers: merged, directives, ttlMs: found.stored.ttlMs }),
  };
  return { metadata: stored as unknown as Record<string, unknown>, body: found.record.body };
}

/** The conditional header fields that validate a stored response (RFC 9111 §4.3.1). */
export function validatorsOf(stored: StoredResponse): [string, string][] {
  const validators: [string, string][] = [];
  const etag = header(stored, 'etag');
  const lastModified = header(stored, 'last-modified');
  // An unquoted entity-tag is invalid (RFC 9110 §8.8.3); quoting it is the server's best chance to match it.
  if (etag) validators.push(['if-none-match', /^(W\/)?"/.test(etag) ? etag : `"${etag}"`]);
  if (lastModified) validators.push(['if-modified-since', lastModified]);
  return validators;
}

const opaque = (tag: string) => tag.trim().replace(/^W\//, '');

/** Whether the caller's own If-None-Match / If-Modified-Since holds for a fresh stored response (RFC 9111 §4.3.2). */
export function notModified(request: Request, stored: StoredResponse): boolean {
  const ifNoneMatch = request.headers.get('if-none-match');
  const etag = header(stored, 'etag');
  // Weak comparison (RFC 9110 §13.1.2); If-Modified-Since is ignored when If-None-Match is present.
  if (ifNoneMatch !== null) {
    return (
      ifNoneMatch.trim() === '*' ||
      (etag !== undefined && ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag)))
    );
  }
  const since = parseHttpDate(request.headers.get('if-modified-since'));
  const lastModified = parseHttpDate(header(stored, 'last-modified'));
  return since !== undefined && lastModified !== undefined && lastModified <= since;
}

const STATUS = Symbol.for('ferrule.cache-status');
const NULL_BODY = new Set([204, 205, 304]);

/** Marks a response with what the cache did, for {@link cacheStatus}. */
export const mark = (response: Response, status: CacheStatus): Response => {
  (response as Response & { [STATUS]?: CacheStatus })[STATUS] = status;
  return response;
};

/**
 * What the cache did for the call that produced `response`: `'hit'`, `'stale'`, `'revalidated'`,
 * `'miss'` or `'bypass'`; `undefined` for a response that did not pass through a cache.
 * @example
 * const response = await fetch('https://api.example.com/products/1');
 * cacheStatus(response); // 'hit'
 */
export const cacheStatus = (response: Response): CacheStatus | undefined =>
  (response as Response & { [STATUS]?: CacheStatus })[STATUS];

/** A new response from a stored one, with the `Age` it has now (RFC 9111 §4, §5.1). */
export function toResponse(record: CacheRecord, ageMs: number, head: boolean, status?: number): Response {
  const stored = record.metadata as unknown as StoredResponse;
  // Stored headers hold no Age; an array is cheaper for Response to take than a Headers it copies.
  const headers: [string, string][] = [...stored.headers, ['age', String(Math.floor(ageMs / 1000))]];
  const code = status ?? stored.status;
  const response = new Response(head || NULL_BODY.has(code) ? null : (record.body as Uint8Array<ArrayBuffer>), {
    status: code,
    statusText: status ? '' : stored.statusText,
    headers,
  });
  Object.defineProperty(response, 'url', { value: stored.url });
  return response;
}
