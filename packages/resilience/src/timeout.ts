import type { Context, Middleware, Next } from '@ferrule/core';
import { type GuardedResponse, guardBody } from './deadline-body.ts';
import { optional, TimeoutError } from './deps.ts';
import { discard } from './outcome.ts';
import { planner, type Route, timeoutMs } from './plan.ts';
import { follow, noop, startTimer } from './signal.ts';

/**
 * Timeouts of one call, on `init.ferrule.timeout` or in a route rule. `Infinity` turns one off.
 * @example
 * await fetch(url, { ferrule: { timeout: { totalMs: 120_000 } } });
 */
export interface TimeoutCallOptions {
  /** Limit of each attempt, until its response headers arrive. @default Infinity */
  attemptMs?: number;
  /** Limit of the whole call, every attempt and wait included, until its body is read to the end. @default Infinity */
  totalMs?: number;
}

/**
 * Options of {@link timeout}.
 * @example
 * const options: TimeoutOptions = { attemptMs: 5_000, routes: [{ match: 'GET /exports/*', attemptMs: 60_000 }] };
 */
export interface TimeoutOptions extends TimeoutCallOptions {
  /** Timeouts by route, for callers that cannot pass `init.ferrule`. @default [] */
  routes?: readonly Route<TimeoutCallOptions>[];
}

declare module '@ferrule/core' {
  interface CallOptions {
    /** Per-call timeouts of `@ferrule/resilience`, or `false` for none. */
    timeout?: TimeoutCallOptions | false;
  }
}

const entries = { attemptMs: optional(timeoutMs), totalMs: optional(timeoutMs) };

type Scope = 'attempt' | 'total';
/**
 * Limits each attempt until its response headers arrive (`attemptMs`) and the whole call until its
 * body is read to the end (`totalMs`), with a {@link TimeoutError} whose `scope` says which. The
 * attempt's socket is aborted, so the server sees the client go away; every timer runs on the
 * context's clock and is cleared when the work ends first. The attempt limit never aborts a body
 * that is being read after the headers came. Emits `timeout`.
 * @example
 * const fetch = createFetch({ use: [timeout({ attemptMs: 5_000, totalMs: 30_000 })] });
 * await fetch(url, { ferrule: { timeout: { totalMs: 120_000 } } });
 */
export function timeout(options: TimeoutOptions = {}): Middleware {
  return timeoutLayer(options, true, true);
}

/** The part of {@link timeout} for the scopes asked for: `resilience()` puts retry between the two. */
export function timeoutLayer(options: TimeoutOptions, total: boolean, attempt: boolean): Middleware {
  const [planFor] = planner('timeout', options, entries, {}, (input: TimeoutCallOptions) => input);

  // Not async, so that a call with no deadline passes through without a promise of its own; an
  // error still comes as a rejection, as from any layer.
  return function timeout(request, context, next) {
    try {
      const plan = planFor(request, context);
      if (!plan) return next(request, context);
      const { attemptMs = Infinity, totalMs = Infinity } = plan;
      const limited: Next =
        attempt && attemptMs !== Infinity
          ? (inner, innerContext) => limit('attempt', attemptMs, inner, innerContext, next)
          : next;
      return total && totalMs !== Infinity
        ? limit('total', totalMs, request, context, limited)
        : limited(request, context);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * Sends the request on under a deadline: when `ms` passes, the signal handed on aborts (so the
 * socket closes) and the call rejects with a {@link TimeoutError} at once. An abort from the caller
 * rejects at once too and clears the timer, even if the layer below ignores its signal; a late
 * answer is let go. An attempt's deadline ends with the headers, while its signal keeps following
 * the caller for the body; the total deadline also covers the body, and ends when it is read or cancelled.
 *
 * An attempt's clock starts when the attempt reaches the network — core's terminal fetch reports it
 * with a `request` event — so that time spent below this layer before that (in the rate limiter's
 * queue, fetching a token) is not counted against the server, nor by the circuit breaker. The total
 * deadline starts at once and bounds those waits.
 */
async function limit(scope: Scope, ms: number, request: Request, context: Context, next: Next): Promise<Response> {
  const { signal: parent, clock, emit } = context;
  if (parent.aborted) throw parent.reason;
  let guarded: GuardedResponse | undefined;
  let clear: (() => void) | undefined;
  const { promise: result, resolve, reject } = Promise.withResolvers<Response>();
  // Ends the wait at once with the signal's reason; a body being read fails with it too.
  const stopped = () => {
    clear?.();
    reject(link.signal.reason);
    guarded?.fail(link.signal.reason);
  };
  const link = follow(parent, stopped);
  const arm = () => {
    clear ??= startTimer(clock, ms, () => {
      emit({ type: 'timeout', scope, timeoutMs: ms });
      link.abort(new TimeoutError(scope, ms, { request }));
      stopped();
    });
  };
  const finish = () => {
    clear?.();
    link.unlink();
  };
  if (scope === 'total') arm();
  const below: Context = {
    ...context,
    signal: link.signal,
    emit:
      scope === 'total'
        ? emit
        : (event) => {
            if (event.type === 'request') arm();
            emit(event);
          },
  };
  const sent = next(request, below);
  sent.then(resolve, reject);
  let response: Response;
  try {
    response = await result;
  } catch (error) {
    finish();
    sent.then(discard, noop);
    throw error;
  }
  if (scope === 'attempt') clear?.();
  else if (response.body === null) finish();
  else {
    guarded = guardBody(response, finish);
    return guarded.response;
  }
  return response;
}
