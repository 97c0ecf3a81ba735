import {
  abortable,
  type CacheRecord,
  type CacheStatus,
  type CacheStore,
  ConfigError,
  type Context,
  compileRoutes,
  editable,
  type Middleware,
  type Next,
  validateOptions,
} from '@ferrule/core';
import { collect } from './body.ts';
import { parseCacheControl } from './cache-control.ts';
import { currentAgeMs, type Exchange, fieldsOf, freshness, type StoredResponse, storable } from './freshness.ts';
import { memoryCacheStore } from './memory-store.ts';
import {
  type CacheCallOptions,
  type CacheLock,
  type CacheOptions,
  CacheOptionsSchema,
  callOptions,
} from './options.ts';
import { judge, keepMs, servesOnError } from './policy.ts';
import { keyUrl, type RequestFacts, requestReader, varyKey, varyNames } from './request-facts.ts';
import {
  describes,
  type Found,
  freshen,
  header,
  isStoredResponse,
  mark,
  notModified,
  storedHeaders,
  toResponse,
  validatorsOf,
} from './stored-response.ts';

// RFC 9110 §9.2.1: every other method is unsafe and invalidates what it targets (RFC 9111 §4.4).
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
// RFC 5861 §4: the statuses that count as an error for stale-if-error.
const ERROR_STATUS = new Set([500, 502, 503, 504]);
const EMPTY = new Uint8Array(0);

/** A response that concurrent identical requests may share, and what the cache did to get it. */
type Shared = { record: CacheRecord; status: CacheStatus } | undefined;
/** An upstream request in flight that concurrent identical requests wait for. */
interface Flight {
  promise: Promise<Shared>;
  settle(shared: Shared): void;
}
/** The record under a URL's own key: which request fields its responses vary on, and until when it is needed. */
interface Head {
  vary: string[];
  expiresAt: number;
}
/** One call through the cache. */
interface Call {
  request: Request;
  context: Context;
  next: Next;
  facts: RequestFacts;
  head?: Head | undefined;
  ttlMs: number | undefined;
}

// A body nobody will read: cancelled, whatever state its stream is in.
const discard = (response: Response) => response.body?.cancel().catch(() => {});

const errorName = (error: unknown) => (error as { name?: string } | null)?.name ?? 'Error';

/**
 * An HTTP cache middleware. In `'http'` mode, a private cache that follows RFC 9111 (and RFC 5861)
 * as a browser does; in `'ttl'` mode, a cache of the routes its rules name. Hits cost no network
 * request; concurrent identical GETs share one. Place it right after observability.
 * @example
 * const fetch = createFetch({ use: [cache({ staleIfErrorMs: 60_000 })] });
 * const response = await fetch('https://api.example.com/products/1');
 * cacheStatus(response); // 'miss', then 'hit' while the response is fresh
 */
export function cache(options: CacheOptions = {}): Middleware {
  validateOptions(CacheOptionsSchema, options, 'cache');
  const { mode = 'http', rules = [], maxEntryBytes = 4 * 1024 * 1024, dedupe = true } = options;
  const defaults = { swrMs: options.staleWhileRevalidateMs ?? 0, sieMs: options.staleIfErrorMs ?? 0 };
  const shared = options.private === false;
  let ruleFor: (request: Request) => { ttlMs: number } | undefined;
  try {
    ruleFor = compileRoutes(rules);
  } catch {
    throw new ConfigError('cache.rules', "route patterns such as 'GET /products/*'");
  }
  const { lock, lockTtlMs = 5_000, pollMs = 50 } = typeof dedupe === 'object' ? dedupe : {};
  const reader = requestReader();
  const inflight = new Map<string, Flight>();
  let store = options.store;
  let storeDown = false;

  // A store that fails never fails a call: a read is a miss, a write is skipped, and the call goes on.
  async function guard<T>(context: Context, operation: (store: CacheStore) => Promise<T>): Promise<T | undefined> {
    store ??= memoryCacheStore({ clock: context.clock });
    const name = (store as { name?: string }).name ?? 'cache';
    try {
      const result = await operation(store);
      if (storeDown) context.emit({ type: 'store', store: name, action: 'recovered' });
      storeDown = false;
      return result;
    } catch (error) {
      const reason = errorName(error);
      context.emit({ type: 'cache', status: 'error', reason });
      if (!storeDown) context.emit({ type: 'store', store: name, action: 'unavailable', reason });
      storeDown = true;
      return undefined;
    }
  }

  // Tells what happened, on the response (for cacheStatus) and as an event.
  function answer(context: Context, response: Response, status: CacheStatus, reason?: string, ageMs?: number) {
    context.emit({ type: 'cache', status, ...(ageMs !== undefined && { ageMs }), ...(reason && { reason }) });
    return mark(response, status);
  }

  function serve(call: Call, record: CacheRecord, status: CacheStatus, reason?: string, code?: number) {
    const ageMs = currentAgeMs(record.metadata as unknown as StoredResponse, call.context.clock.now());
    return answer(call.context, toResponse(record, ageMs, call.request.method === 'HEAD', code), status, reason, ageMs);
  }

  // Concurrent requests that agree on URL, credential and every other header field are identical.
  const flightKey = (call: Call) => `${call.facts.url}\n${call.facts.credential}\n${reader.fingerprint(call.request)}`;

  const variantKey = (call: Call, slot: string, vary: readonly string[]) =>
    `${call.facts.url}\n${slot}\n${varyKey(vary, call.request, reader.isCredential)}`;

  const NO_CREDENTIAL = [''];

  async function lookup(call: Call): Promise<Found | undefined> {
    const { facts, context } = call;
    const head = (await guard(context, (live) => live.get(facts.url)))?.metadata as Head | undefined;
    if (!Array.isArray(head?.vary)) return undefined;
    call.head = head;
    // The request's own credential first, then the copy kept for everyone (the same slot without one).
    for (const slot of facts.credential ? [facts.credential, ''] : NO_CREDENTIAL) {
      const key = variantKey(call, slot, head.vary);
      const record = await guard(context, (live) => live.get(key));
      const stored = record?.metadata;
      // A response kept for no credential, or another one, answers a request with credentials only when public.
      if (record && isStoredResponse(stored) && (slot === facts.credential || stored.public)) {
        return { key, record, stored, own: slot === facts.credential };
      }
    }
    return undefined;
  }

  async function write(call: Call, vary: string[], key: string, record: CacheRecord): Promise<void> {
    const { context, head } = call;
    const nowMs = context.clock.now();
    const stored = record.metadata as unknown as StoredResponse;
    const ttlMs = keepMs(stored, Boolean(header(stored, 'etag') || header(stored, 'last-modified')), nowMs, defaults);
    if (!(await guard(context, (live) => live.set(key, record, { ttlMs }).then(() => true)))) return;
    const sameVary = String(head?.vary) === String(vary);
    const expiresAt = Math.max(nowMs + ttlMs, (sameVary && head?.expiresAt) || 0);
    if (!sameVary || head?.expiresAt !== expiresAt) {
      const metadata = { vary, expiresAt } satisfies Head;
      await guard(context, (live) => live.set(call.facts.url, { metadata, body: EMPTY }, { ttlMs: expiresAt - nowMs }));
    }
    context.emit({ type: 'cache', status: 'stored' });
  }

  function fly(key: string): Flight {
    const { promise, resolve } = Promise.withResolvers<Shared>();
    const flight: Flight = {
      promise,
      settle(result) {
        if (inflight.get(key) === flight) inflight.delete(key);
        resolve(result);
      },
    };
    inflight.set(key, flight);
    return flight;
  }

  // Across processes: one takes the lock and fetches, the others look for its answer in the store.
  async function takeTurn(call: Call, cacheLock: CacheLock, lockKey: string) {
    const { context } = call;
    for (let waited = false, deadline = context.clock.now() + lockTtlMs; ; waited = true) {
      const taken = await guard(context, () => cacheLock.acquire(lockKey, lockTtlMs));
      if (taken === true && waited) {
        // The holder may have stored its answer and let go between our last look and this take.
        const found = await lookup(call);
        if (found) {
          await guard(context, () => cacheLock.release(lockKey));
          return { locked: false, found };
        }
      }
      // A lock that cannot be reached is no reason to wait.
      if (taken !== false || context.clock.now() >= deadline) return { locked: taken === true, found: undefined };
      await context.clock.sleep(pollMs, context.signal);
      const found = await lookup(call);
      if (found) return { locked: false, found };
    }
  }

  // One upstream request for concurrent identical GETs in this process, and (with a lock) across processes.
  async function fetchThrough(call: Call, found: Found | undefined): Promise<Response> {
    const { context, facts } = call;
    const key = dedupe && !facts.conditional ? flightKey(call) : '';
    const pending = inflight.get(key);
    if (pending) {
      const result = await abortable(pending.promise, context.signal);
      if (result) return serve(call, result.record, result.status, 'dedupe');
    }
    const flight = key && !pending ? fly(key) : undefined;
    const lockKey = lock ? `${facts.url}\n${facts.credential}` : '';
    let locked = false;
    const settle = (result: Shared) => {
      flight?.settle(result);
      if (locked) void guard(context, () => lock?.release(lockKey) as Promise<void>);
      locked = false;
    };
    try {
      if (lock && !found) {
        const turn = await takeTurn(call, lock, lockKey);
        locked = turn.locked;
        found = turn.found;
        if (found && judge(found.stored, facts.directives, context.clock.now(), defaults) === 'fresh') {
          settle({ record: found.record, status: 'hit' });
          return serve(call, found.record, 'hit', 'dedupe');
        }
      }
      const [response, done] = await exchange(call, found);
      void done.then(settle);
      return response;
    } catch (error) {
      settle(undefined);
      throw error;
    }
  }

  /** A response for the caller, and (once it is stored) what concurrent identical requests may share of it. */
  type Answer = [Response, Promise<Shared>];
  const NOTHING: Promise<Shared> = Promise.resolve(undefined);
  const settled = (call: Call, record: CacheRecord, status: CacheStatus, reason?: string): Answer => [
    serve(call, record, status, reason),
    Promise.resolve({ record, status }),
  ];
  // RFC 5861 §4: a stale answer instead of an error, when the stale-if-error windows allow it.
  const staleOnError = (call: Call, found: Found | undefined): Answer | undefined =>
    found && servesOnError(found.stored, call.facts.directives, call.context.clock.now(), defaults)
      ? settled(call, found.record, 'stale', 'stale-if-error')
      : undefined;

  // Sends the request upstream; an error (RFC 5861 §4: no response, 500, 502, 503, 504) may get a stale answer.
  async function send(call: Call, outgoing: Request, found: Found | undefined): Promise<Response | Answer> {
    const { context } = call;
    let response: Response;
    try {
      response = await call.next(outgoing, context);
    } catch (error) {
      // An origin that cannot be reached is an error; a call its caller aborted is not.
      const stale = context.signal.aborted ? undefined : staleOnError(call, found);
      if (stale) return stale;
      throw error;
    }
    const stale = ERROR_STATUS.has(response.status) ? staleOnError(call, found) : undefined;
    if (!stale) return response;
    await discard(response);
    return stale;
  }

  // Sends the request, conditional when a stored response can be validated, and handles the answer (§4.3.3).
  async function exchange(call: Call, found: Found | undefined): Promise<Answer> {
    const { request, context, facts } = call;
    const requestTime = context.clock.now();
    const validators = found && !facts.conditional ? validatorsOf(found.stored) : [];
    const outgoing = validators.length > 0 ? editable(request, context) : request;
    for (const [name, value] of validators) outgoing.headers.set(name, value);
    let response = await send(call, outgoing, found);
    if (Array.isArray(response)) return response;
    if (found && validators.length > 0 && response.status === 304) {
      const updated = await revalidated(call, found, response, requestTime);
      if (updated) return updated;
      // RFC 9111 §4.3.4: a 304 that selects none of the responses held cannot answer; ask again, unconditionally.
      for (const [name] of validators) outgoing.headers.delete(name);
      response = await send(call, outgoing, found);
      if (Array.isArray(response)) return response;
    }
    return keep(call, response, requestTime);
  }

  // RFC 9111 §4.3.4: a 304 that describes the stored response freshens it.
  async function revalidated(call: Call, found: Found, response: Response, requestTime: number) {
    await discard(response);
    if (!describes(response.headers, found.stored, true)) return undefined;
    const responseTime = call.context.clock.now();
    const record = freshen(found, response.headers, { requestTime, responseTime, shared });
    // What one credential's validation brought back is not written over a response shared with everyone.
    if (found.own) await write(call, call.head?.vary ?? [], found.key, record);
    return settled(call, record, 'revalidated');
  }

  // Stores a full response when RFC 9111 §3 allows it, streaming its body to the caller meanwhile.
  function keep(call: Call, response: Response, requestTime: number): Answer {
    const { context, facts } = call;
    const fields = fieldsOf(response.headers);
    const directives = parseCacheControl(fields.get('cache-control'));
    const responseTime = context.clock.now();
    const exchange: Exchange = {
      headers: fields,
      directives,
      requestTime,
      responseTime,
      shared,
      ttlMs: call.ttlMs,
    };
    const vary = varyNames(fields);
    const tooLarge = Number(fields.get('content-length')) > maxEntryBytes;
    const miss = (): Answer => [answer(context, response, 'miss', tooLarge ? 'too-large' : undefined), NOTHING];
    // What can never be stored (no-store, an uncacheable status) is decided before any freshness arithmetic.
    if (!vary || tooLarge || response.redirected || !storable(response.status, exchange, facts.credential !== '')) {
      return miss();
    }
    const figures = { responseTime, ...freshness(response.status, exchange) };
    // A response that could only ever be used after validation, without a validator, is not worth keeping.
    const validator = fields.has('etag') || fields.has('last-modified');
    if (keepMs(figures, validator, responseTime, defaults) <= 0) return miss();
    const stored: StoredResponse = {
      url: facts.url,
      status: response.status,
      statusText: response.statusText,
      headers: storedHeaders(response.headers, fields.get('connection'), directives, shared),
      requestTime,
      ...figures,
    };
    // A public response to a request with credentials is kept for everyone, unless it varies on a
    // credential or sets a cookie.
    const everyone = stored.public && !vary.some(reader.isCredential) && !fields.has('set-cookie');
    const key = variantKey(call, everyone ? '' : facts.credential, vary);
    const finish = async (body: Uint8Array | undefined): Promise<Shared> => {
      const record = body && { metadata: stored as unknown as Record<string, unknown>, body };
      if (record) await write(call, vary, key, record);
      return record && { record, status: 'hit' };
    };
    if (!response.body) return [answer(context, response, 'miss'), finish(EMPTY)];
    const [mine, theirs] = response.body.tee();
    const returned = new Response(theirs, response);
    Object.defineProperty(returned, 'url', { value: response.url });
    return [answer(context, returned, 'miss'), collect(mine, maxEntryBytes).then(finish)];
  }

  // RFC 9111 §4.3.5: a HEAD goes upstream as a HEAD, and its 200 freshens the stored GET it describes.
  async function headThrough(call: Call, found: Found | undefined): Promise<Response> {
    const { context } = call;
    const requestTime = context.clock.now();
    const response = await call.next(call.request, context);
    if (found?.own && response.status === 200 && describes(response.headers, found.stored, false)) {
      const record = freshen(found, response.headers, { requestTime, responseTime: context.clock.now(), shared });
      await write(call, call.head?.vary ?? [], found.key, record);
    }
    return answer(context, response, 'miss');
  }

  // RFC 5861 §3: the caller has its stale answer; the revalidation outlives the caller's signal.
  function revalidateLater(call: Call, found: Found) {
    const key = flightKey(call);
    if (inflight.has(key)) return;
    const flight = fly(key);
    const signal = new AbortController().signal;
    const request = new Request(call.request.url, { headers: call.request.headers, signal });
    const context = { ...call.context, signal };
    exchange({ ...call, request, context }, found)
      .then(([response, done]) => {
        void discard(response);
        return done.then(flight.settle);
      })
      .catch((error: unknown) => {
        flight.settle(undefined);
        context.emit({ type: 'cache', status: 'error', reason: errorName(error) });
      });
  }

  // RFC 9111 §4.4: a non-error response to an unsafe method invalidates its target, Location and Content-Location.
  async function invalidate(request: Request, response: Response, context: Context): Promise<void> {
    const targets = [keyUrl(request.url)];
    for (const name of ['location', 'content-location']) {
      const value = response.headers.get(name);
      const target = value === null ? null : URL.parse(value, request.url);
      // Only on the same origin: another origin's responses are not this one's to drop.
      if (target && target.origin === URL.parse(request.url)?.origin) targets.push(keyUrl(target.href));
    }
    for (const url of targets) await guard(context, (live) => live.delete(url));
  }

  // Answers from the store when the stored response may serve as it is (RFC 9111 §4.2, §4.2.4; RFC 5861 §3).
  function fromStore(call: Call, found: Found): Response | undefined {
    const { request, facts } = call;
    const verdict = judge(found.stored, facts.directives, call.context.clock.now(), defaults);
    if (verdict === 'fresh') {
      return facts.conditional && notModified(request, found.stored)
        ? serve(call, found.record, 'hit', 'not-modified', 304)
        : serve(call, found.record, 'hit');
    }
    if (verdict === 'stale') return serve(call, found.record, 'stale', 'max-stale');
    if (verdict !== 'swr' || request.method !== 'GET') return undefined;
    revalidateLater(call, found);
    return serve(call, found.record, 'stale', 'stale-while-revalidate');
  }

  // Why a GET or HEAD does not use the cache at all, if it does not.
  const bypassReason = (facts: RequestFacts, options: CacheCallOptions | undefined, ttlMs: number | undefined) => {
    if (options?.bypass) return 'option';
    if (facts.partial) return 'partial';
    if (facts.directives.has('no-store')) return 'no-store';
    return mode === 'ttl' && ttlMs === undefined ? 'no-rule' : undefined;
  };

  return async function cache(request, context, next) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const response = await next(request, context);
      if (!SAFE.has(request.method) && response.status < 400) await invalidate(request, response, context);
      return answer(context, response, 'bypass', 'method');
    }
    const options = callOptions(context.options.cache, request);
    const facts = await reader.read(request);
    const ttlMs = options?.ttlMs ?? ruleFor(request)?.ttlMs;
    const skip = bypassReason(facts, options, ttlMs);
    if (skip) return answer(context, await next(request, context), 'bypass', skip);
    const call: Call = { request, context, next, facts, ttlMs };
    const stored = await lookup(call);
    const found = facts.reload ? undefined : stored;
    const served = found && fromStore(call, found);
    if (served) return served;
    // RFC 9111 §5.2.1.7
    if (facts.directives.has('only-if-cached')) {
      return answer(
        context,
        new Response(null, { status: 504, statusText: 'Gateway Timeout' }),
        'miss',
        'only-if-cached',
      );
    }
    return request.method === 'HEAD' ? headThrough(call, found) : fetchThrough(call, found);
  };
}
