import { type Clock, systemClock } from './clock.ts';
import { ConfigError } from './errors.ts';
import { type EmittedEvent, type FerruleEvent, safely } from './events.ts';
import type { CallOptions, Context, FetchFunction, Middleware, Next } from './middleware.ts';
import { redactUrl } from './redact.ts';
import { changedFields, followsSignal, markNeverAborts, neverAborts, own } from './request.ts';

/** Options of {@link createFetch}. */
export interface CreateFetchOptions {
  /** The middlewares, outermost first (see ARCHITECTURE.md for the recommended order). */
  use: readonly Middleware[];
  /** The terminal fetch that talks to the network. @default globalThis.fetch, looked up on each call */
  fetch?: FetchFunction;
  /** Receives every event of every call. A listener that throws never breaks a request. */
  onEvent?: (event: FerruleEvent) => void;
  /** The clock every middleware times with. @default systemClock */
  clock?: Clock;
}

const EMPTY_OPTIONS: CallOptions = /* @__PURE__ */ Object.freeze({});
const noop = () => {};

// A Request passed in is used as it is unless init has more than per-call options: ky passes `{}`
// or `{ ferrule }` as its second argument; anything else is built anew as fetch would.
const changesRequest = (init: RequestInit) => {
  for (const key in init) if (key !== 'ferrule') return true;
  return false;
};

/**
 * A terminal fetch that sets this property to `true` is handed the chain's `Request` as it is (with
 * `{ signal }` when the call's signal is not the request's own), because it does not build a new
 * Request from what it is given, as the runtime's fetch does. `undiciFetch` of `@ferrule/transport` sets it.
 * @example
 * const myFetch = Object.assign(async (input, init) => send(input as Request, init?.signal), { [TAKES_REQUEST]: true });
 */
export const TAKES_REQUEST = Symbol.for('ferrule.takes');

function terminal(fetchImpl: FetchFunction | undefined): Next {
  const send = (request: Request, signal: AbortSignal) => {
    const target = (fetchImpl ?? globalThis.fetch) as FetchFunction & { [TAKES_REQUEST]?: boolean };
    // A signal nobody can abort is not passed on: Node's fetch pays for every signal a request carries
    // (a listener, a weak reference and a finalizer each time).
    const given = neverAborts(signal) ? null : signal;
    // fetch builds a new Request from what it is given; from a URL and the fields that differ from
    // the defaults, a bodyless one costs it least.
    if (request.body === null && !target[TAKES_REQUEST]) {
      const init = changedFields(request);
      init.signal = given;
      return target(request.url, init);
    }
    return given && followsSignal(request, signal) ? target(request) : target(request, { signal: given });
  };
  // Without listeners the terminal adds no promise of its own: it returns the fetch's.
  const observed = async (request: Request, context: Context) => {
    const { attempt, clock } = context;
    const startMs = clock.now();
    context.emit({ type: 'request', attempt });
    try {
      const response = await send(request, context.signal);
      context.emit({ type: 'response', attempt, status: response.status, durationMs: clock.now() - startMs });
      return response;
    } catch (error) {
      const { name = 'Error', cause } = (error ?? {}) as { name?: string; cause?: { code?: unknown } };
      const code = cause?.code;
      context.emit({
        type: 'network-error',
        attempt,
        durationMs: clock.now() - startMs,
        errorName: name,
        ...(typeof code === 'string' && { errorCode: code }),
      });
      throw error;
    }
  };
  return function terminalFetch(request, context) {
    return context.emit === noop ? send(request, context.signal) : observed(request, context);
  };
}

const link = (middleware: Middleware, inner: Next): Next =>
  function next(request, context) {
    if (context.signal.aborted) return Promise.reject(context.signal.reason);
    try {
      return middleware(request, context, inner);
    } catch (error) {
      return Promise.reject(error);
    }
  };

/**
 * Composes middlewares into a standard `fetch`. The result plugs into anything that accepts a
 * custom fetch: ky, openapi-fetch, Octokit, the OpenAI and Stripe SDKs, graphql-request.
 * Per-call options travel on `init.ferrule`.
 * @example
 * const fetch = createFetch({ use: [logging(), retry()] });
 * const response = await fetch('https://api.example.com/items', { ferrule: { retry: { maxAttempts: 5 } } });
 */
export function createFetch({
  use,
  fetch: fetchImpl,
  onEvent,
  clock = systemClock,
}: CreateFetchOptions): FetchFunction {
  if (!Array.isArray(use)) throw new ConfigError('createFetch.use', 'an array of middlewares');
  use.forEach((middleware, index) => {
    if (typeof middleware !== 'function') throw new ConfigError(`createFetch.use.${index}`, 'a middleware function');
  });
  if (fetchImpl !== undefined && typeof fetchImpl !== 'function') {
    throw new ConfigError('createFetch.fetch', 'a fetch function');
  }
  const chain = use.reduceRight<Next>((inner, middleware) => link(middleware, inner), terminal(fetchImpl));

  return function ferruleFetch(input, init) {
    let request: Request;
    try {
      const given = input instanceof Request;
      if (given && (init === undefined || !changesRequest(init))) request = input;
      else {
        request = own(new Request(input, init));
        // Made from a URL without a signal: nobody holds the controller of its signal.
        if (!given && !init?.signal) markNeverAborts(request.signal);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    let emit: (event: EmittedEvent) => void = noop;
    if (onEvent) {
      const method = request.method;
      let url: string | undefined;
      emit = (event) => {
        url ??= redactUrl(request.url);
        safely(onEvent, { ...event, method, url, timeMs: clock.now() } as FerruleEvent);
      };
    }
    const context: Context = {
      signal: request.signal,
      attempt: 1,
      options: init?.ferrule ?? EMPTY_OPTIONS,
      clock,
      emit,
    };
    return chain(request, context);
  };
}
