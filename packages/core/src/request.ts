import type { Context } from './middleware.ts';

// Marks a request the chain made itself, so its headers may be changed in place. The value is the
// signal it follows (or `true`), so the terminal fetch can tell when it need not pass the context's signal.
export const OWNED = Symbol.for('ferrule.owned');
// Marks the signal of a call that nobody can abort: the caller gave no signal, and the Request made
// for the call keeps its controller to itself.
const NEVER = Symbol.for('ferrule.never');

type Owned = Request & { [OWNED]?: AbortSignal | true };
type Marked = AbortSignal & { [NEVER]?: true };

/** Marks a request as made by the chain, following `signal`. */
export const own = (request: Request, signal?: AbortSignal): Request => {
  (request as Owned)[OWNED] = signal ?? true;
  return request;
};

/** Marks `signal` as one that nothing can abort (the signal of a Request made without one). */
export const markNeverAborts = (signal: AbortSignal): void => {
  (signal as Marked)[NEVER] = true;
};

/**
 * Whether nothing can ever abort `signal`: it is the signal of a call whose caller gave none. A layer
 * that follows the call's signal need not listen to it, and the terminal fetch does not pass it on,
 * since the runtime's fetch pays for every signal a request carries.
 * @example
 * if (!neverAborts(context.signal)) context.signal.addEventListener('abort', onAbort, { once: true });
 */
export const neverAborts = (signal: AbortSignal): boolean => (signal as Marked)[NEVER] === true;

/** Whether the terminal fetch can send `request` as is, with `signal` already wired in. */
export const followsSignal = (request: Request, signal: AbortSignal): boolean =>
  request.signal === signal || (request as Owned)[OWNED] === signal;

// The fields of a fresh Request: a request is rebuilt with only the fields that differ, since each
// one fetch is given costs it work.
const DEFAULT_FIELDS = {
  redirect: 'follow',
  credentials: 'same-origin',
  mode: 'cors',
  cache: 'default',
  referrer: 'about:client',
  referrerPolicy: '',
  integrity: '',
  keepalive: false,
} as const;

/** A request's method, headers and the fields that differ from a fresh Request's, as `RequestInit`. */
export function changedFields(request: Request): RequestInit {
  const init: Record<string, unknown> = { method: request.method, headers: request.headers };
  for (const name in DEFAULT_FIELDS) {
    const field = request[name as keyof typeof DEFAULT_FIELDS];
    // A navigation's mode cannot be given to a Request: the Fetch standard makes it `same-origin`.
    if (field !== DEFAULT_FIELDS[name as keyof typeof DEFAULT_FIELDS])
      init[name] = field === 'navigate' ? 'same-origin' : field;
  }
  return init;
}

const copy = (request: Request, body: BodyInit | null, signal?: AbortSignal): Request =>
  own(
    new Request(request.url, {
      ...changedFields(request),
      body,
      ...(signal && !neverAborts(signal) && { signal }),
      ...(body instanceof ReadableStream && { duplex: 'half' }),
    } as RequestInit),
    signal,
  );

/**
 * A request whose headers this middleware may change: the request itself when the chain made it,
 * otherwise (a `Request` the caller or ky passed in) a copy made once, so the caller's object is
 * never touched. The body moves to the copy: hand on only the returned request. The copy carries no
 * signal of its own: the terminal fetch sends it under `context.signal`, which spares the runtime a
 * second signal to follow.
 * @example
 * const signed = editable(request, context);
 * signed.headers.set('authorization', `Bearer ${token}`);
 * return next(signed, context);
 */
export function editable(request: Request, _context: Context): Request {
  return (request as Owned)[OWNED] ? request : copy(request, request.body);
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
