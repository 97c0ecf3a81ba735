import type { Context } from './middleware.ts';

// Marks a request the chain made itself, so its headers may be changed in place. The value is the
// signal it follows, so the terminal fetch can tell when it need not pass the context's signal;
// `UNABORTABLE` for a request made from a URL with no signal at all, which nobody can abort.
export const OWNED = Symbol.for('ferrule.owned');
export const UNABORTABLE = 'unabortable';

type Owned = Request & { [OWNED]?: AbortSignal | true | typeof UNABORTABLE };

/** Marks a request as made by the chain, following `signal`. */
export const own = (request: Request, signal?: AbortSignal | typeof UNABORTABLE): Request => {
  (request as Owned)[OWNED] = signal ?? true;
  return request;
};

/** Whether nothing can abort `request` as the context stands: no caller's signal, no layer's. */
export const unabortable = (request: Request, signal: AbortSignal): boolean =>
  (request as Owned)[OWNED] === UNABORTABLE && request.signal === signal;

/** Whether the terminal fetch can send `request` as is, with `signal` already wired in. */
export const followsSignal = (request: Request, signal: AbortSignal): boolean =>
  request.signal === signal || (request as Owned)[OWNED] === signal;

/** Everything of a request but its URL, body and signal, as `RequestInit`. */
export const fieldsOf = (request: Request): RequestInit => ({
  method: request.method,
  headers: request.headers,
  redirect: request.redirect,
  credentials: request.credentials,
  mode: request.mode === 'navigate' ? 'same-origin' : request.mode,
  cache: request.cache,
  referrer: request.referrer,
  referrerPolicy: request.referrerPolicy,
  integrity: request.integrity,
  keepalive: request.keepalive,
});

const copy = (request: Request, body: BodyInit | null, signal?: AbortSignal): Request =>
  own(
    new Request(request.url, {
      ...fieldsOf(request),
      body,
      ...(signal && { signal }),
      ...(body instanceof ReadableStream && { duplex: 'half' }),
    } as RequestInit),
    signal,
  );

/**
 * A request whose headers this middleware may change: the request itself when the chain made it,
 * otherwise (a `Request` the caller or ky passed in) a copy made once, so the caller's object is
 * never touched. The body moves to the copy: hand on only the returned request.
 * @example
 * const signed = editable(request, context);
 * signed.headers.set('authorization', `Bearer ${token}`);
 * return next(signed, context);
 */
export function editable(request: Request, context: Context): Request {
  return (request as Owned)[OWNED] ? request : copy(request, request.body, context.signal);
}

/**
 * Reads a request's body once, so that the request can be sent again and again (retry, hedging,
 * a replay after a refreshed token). Each call of the returned function gives a fresh request with
 * the same method, URL, headers and body bytes, following `signal` when given. A streamed body is
 * buffered once here and never read again from the consumed stream.
 * @example
 * const replay = await replayable(request);
 * const first = await next(replay(context.signal), context);
 */
export async function replayable(request: Request): Promise<(signal?: AbortSignal) => Request> {
  const body = request.body === null ? null : await request.arrayBuffer();
  return (signal) => copy(request, body, signal);
}

/**
 * `promise`, given up with the signal's reason as soon as `signal` aborts: the caller stops waiting at
 * once, while the work behind a shared promise (a token request, a coalesced fetch) goes on for others.
 * The listener is removed when the promise settles.
 * @example
 * const token = await abortable(pendingToken, context.signal);
 */
export function abortable<Value>(promise: Promise<Value>, signal: AbortSignal): Promise<Value> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Value>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
