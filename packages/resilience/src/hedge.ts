import type { Middleware } from '@ferrule/core';
import { maxValue, optional, pipe, replayable, union } from './deps.ts';
import { discard, hasMethod, type Outcome, outcomeOf, outcomeTest, TRANSIENT_STATUSES } from './outcome.ts';
import { count, delayMs, fn, methods, planner, type Route, statuses } from './plan.ts';
import { follow, type Link, noop, startTimer } from './signal.ts';

/**
 * Hedging of one call, on `init.ferrule.hedge` or in a route rule.
 * @example
 * await fetch(url, { ferrule: { hedge: { delayMs: 100 } } });
 */
export interface HedgeCallOptions {
  /** How long an attempt may run before the next one starts beside it. @default 2_000 */
  delayMs?: number;
  /** Attempts started besides the first; 0 turns hedging off. @default 1 */
  maxHedges?: number;
}

/**
 * Options of {@link hedge}.
 * @example
 * const options: HedgeOptions = { delayMs: 300, maxHedges: 2, routes: [{ match: 'GET /exports/*', maxHedges: 0 }] };
 */
export interface HedgeOptions extends HedgeCallOptions {
  /** Methods that are hedged: only the safe ones (RFC 9110 §9.2.1) by default. @default ['GET', 'HEAD', 'OPTIONS'] */
  methods?: readonly string[];
  /**
   * Which answers are not good enough to win: a list of statuses (errors never win), or a predicate
   * that decides alone. A failure starts the next hedge at once.
   * @default [408, 429, 500, 502, 503, 504]
   */
  failureOn?: readonly number[] | ((outcome: Outcome) => boolean);
  /** Hedging by route, for callers that cannot pass `init.ferrule`. @default [] */
  routes?: readonly Route<HedgeCallOptions>[];
}

declare module '@ferrule/core' {
  interface CallOptions {
    /** Per-call hedging of `@ferrule/resilience`, or `false` for none. */
    hedge?: HedgeCallOptions | false;
  }
}

const entries = { delayMs: optional(delayMs), maxHedges: optional(pipe(count(0), maxValue(10))) };

/**
 * Sends a safe request again, beside the first, when the first is slow: after `delayMs` without an
 * answer (or at once when an attempt fails) another attempt starts, up to `maxHedges`. The first good
 * answer wins and every other attempt is aborted, so its server sees the client go away. Cuts tail
 * latency for the price of some extra load. Emits `hedge` when a hedge starts and when one wins.
 * @example
 * const fetch = createFetch({ use: [hedge({ delayMs: 300, maxHedges: 2 })] });
 */
export function hedge(options: HedgeOptions = {}): Middleware {
  const [planFor, { methods: hedged = ['GET', 'HEAD', 'OPTIONS'], failureOn = TRANSIENT_STATUSES }] = planner<
    HedgeCallOptions,
    HedgeCallOptions,
    HedgeOptions
  >(
    'hedge',
    options,
    entries,
    { methods: optional(methods), failureOn: optional(union([statuses, fn()])) },
    (input) => input,
  );
  const allowed = new Set(hedged);
  // With a list of statuses no error ever wins; a predicate decides alone.
  const isFailure = outcomeTest(failureOn, true);

  return async function hedge(request, context, next) {
    const plan = planFor(request, context);
    const { delayMs: waitMs = 2_000, maxHedges = 1 } = plan ?? {};
    if (!plan || !maxHedges || !hasMethod(allowed, request.method)) return next(request, context);
    const replay = request.body === null ? undefined : await replayable(request);
    const { clock, signal } = context;
    return new Promise<Response>((resolve, reject) => {
      const links: Link[] = [];
      let running = 0;
      let done = false;
      let clearTimer = noop;
      // Ends the race with `outcome`: the timer is cleared and every other attempt is aborted.
      const finish = (winner: number, { response, error }: Partial<Outcome>) => {
        done = true;
        clearTimer();
        signal.removeEventListener('abort', onAbort);
        links.forEach((link, index) => {
          // The runtime's AbortError: the loser's server sees the client go away.
          if (index !== winner) link.abort();
          link.unlink();
        });
        if (response) resolve(response);
        else reject(error);
      };
      const onAbort = () => finish(-1, { error: signal.reason });
      const settled = (hedge: number, outcome: Outcome) => {
        running--;
        if (done) return discard(outcome.response);
        const failed = isFailure(outcome);
        if (!failed && links.length > 1) context.emit({ type: 'hedge', action: 'won', hedge });
        // A failure starts the next hedge at once; when none is left, the last failure is the answer.
        if (!failed || (running === 0 && links.length > maxHedges)) return finish(hedge, outcome);
        discard(outcome.response);
        if (links.length <= maxHedges) launch();
      };
      const launch = () => {
        clearTimer();
        const hedge = links.length;
        const link = follow(signal);
        links.push(link);
        running++;
        const attemptRequest = replay ? replay() : request;
        if (hedge > 0) context.emit({ type: 'hedge', action: 'started', hedge, delayMs: waitMs });
        outcomeOf(
          attemptRequest,
          next(attemptRequest, { ...context, signal: link.signal, attempt: context.attempt + hedge }),
        )
          .then((outcome) => settled(hedge, outcome))
          // A failureOn predicate that throws ends the race with its error instead of leaving it hanging.
          .catch((error: unknown) => finish(-1, { error }));
        if (links.length <= maxHedges) clearTimer = startTimer(clock, waitMs, launch);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      launch();
    });
  };
}
