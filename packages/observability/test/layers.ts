// Small hand-written layers that behave and emit like the other concerns of a client (retry,
// cache, rate limit, circuit, auth). Observability must learn everything from their events alone,
// so its tests use these instead of importing another concern.
import { type FakeClock, type FetchFunction, type Middleware, replayable } from '@ferrule/core';

/** Retries 5xx answers and network errors after `delayMs`, emitting `retry` like a retry layer. */
export const retryLayer = ({ maxAttempts = 3, delayMs = 100 } = {}): Middleware =>
  async function retry(request, context, next) {
    const replay = await replayable(request);
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await next(replay(context.signal), { ...context, attempt });
        if (response.status < 500 || attempt === maxAttempts) return response;
        context.emit({ type: 'retry', attempt: attempt + 1, delayMs, reason: 'status', status: response.status });
      } catch (error) {
        if (attempt === maxAttempts) throw error;
        context.emit({ type: 'retry', attempt: attempt + 1, delayMs, reason: 'network-error' });
      }
      await context.clock.sleep(delayMs, context.signal);
    }
  };

/** Answers repeated GETs from memory, emitting `cache` like a cache layer. */
export const cacheLayer = (): Middleware => {
  const stored = new Map<string, { status: number; body: ArrayBuffer; headers: [string, string][] }>();
  return async function cache(request, context, next) {
    const hit = request.method === 'GET' ? stored.get(request.url) : undefined;
    if (hit) {
      context.emit({ type: 'cache', status: 'hit', ageMs: 0 });
      return new Response(hit.body.slice(0), { status: hit.status, headers: hit.headers });
    }
    context.emit({ type: 'cache', status: 'miss' });
    const response = await next(request, context);
    if (request.method === 'GET' && response.ok) {
      const body = await response.clone().arrayBuffer();
      stored.set(request.url, { status: response.status, body, headers: [...response.headers] });
      context.emit({ type: 'cache', status: 'stored' });
    }
    return response;
  };
};

/** Makes every attempt wait `waitMs` on the clock, emitting `ratelimit` like a rate limiter. */
export const rateLimitLayer = ({ waitMs = 250 } = {}): Middleware =>
  async function rateLimit(request, context, next) {
    await context.clock.sleep(waitMs, context.signal);
    context.emit({ type: 'ratelimit', action: 'waited', key: 'api', waitMs });
    return next(request, context);
  };

/** Opens a circuit after `threshold` failures, emitting `circuit` like a circuit breaker. */
export const circuitLayer = ({ key = 'api.example.test', threshold = 2 } = {}): Middleware => {
  let failures = 0;
  return async function circuit(request, context, next) {
    const response = await next(request, context);
    if (response.status >= 500 && ++failures === threshold) {
      context.emit({ type: 'circuit', key, state: 'open', previous: 'closed' });
    }
    return response;
  };
};

/**
 * Authorizes every attempt like an auth layer: a bearer token, an API-key header and a key-like
 * query parameter — the three places a secret travels.
 */
export const authLayer = ({ token, apiKey }: { token: string; apiKey: string }): Middleware =>
  async function auth(request, context, next) {
    const url = new URL(request.url);
    url.searchParams.set('api_key', apiKey);
    const body = request.body === null ? null : await request.arrayBuffer();
    const signed = new Request(url, { method: request.method, headers: request.headers, body, signal: context.signal });
    // A request this layer made itself: its headers are its own to set.
    signed.headers.set('authorization', `Bearer ${token}`);
    signed.headers.set('x-api-key', apiKey);
    context.emit({ type: 'auth', scheme: 'bearer', action: 'signed' });
    return next(signed, context);
  };

/** A terminal fetch that records what it is sent and answers with `answer`. */
export function recordingFetch(answer: (request: Request) => Response | Promise<Response> = () => new Response('ok')) {
  const requests: Request[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    requests.push(request);
    return answer(request);
  };
  return { fetch, requests };
}

/**
 * Settles `promise` while moving a fake clock to each sleeper in turn (backoffs, rate-limit waits),
 * yielding to real I/O in between. Not a timing assertion: tests that assert a boundary advance by hand.
 */
export async function runToEnd<T>(clock: FakeClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) if (!(await clock.next())) await new Promise((resolve) => setImmediate(resolve));
  return promise;
}
