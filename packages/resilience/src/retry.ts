import type { Context, Middleware } from '@ferrule/core';
import type { IBackoff } from 'cockatiel';
import {
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  fullJitterGenerator,
  func,
  getRetryAfterMs,
  literal,
  looseObject,
  maxValue,
  noJitterGenerator,
  optional,
  picklist,
  pipe,
  replayable,
  strictObject,
  union,
} from './deps.ts';
import {
  discard,
  hasMethod,
  holds,
  IDEMPOTENCY_KEY,
  IDEMPOTENT_METHODS,
  type Outcome,
  outcomeOf,
  outcomeTest,
  reasonOf,
  settle,
  TRANSIENT_STATUSES,
} from './outcome.ts';
import { count, delayMs, fn, methods, nonNegative, planner, type Route, statuses } from './plan.ts';
import { type RetryBudget, retryBudget } from './retry-budget.ts';

/**
 * How the delay between attempts grows.
 * @example
 * const backoff: BackoffOptions = { initialDelayMs: 100, jitter: 'decorrelated' };
 */
export interface BackoffOptions {
  /** The base of the first delay; each next one doubles. @default 200 */
  initialDelayMs?: number;
  /**
   * How the delay is randomised so that many clients do not retry in step: `full` picks from
   * [0, delay) (AWS "full jitter"), `decorrelated` is Polly's decorrelated jitter v2, `none` waits
   * exactly `initialDelayMs × 2^(attempt - 1)`.
   * @default 'full'
   */
  jitter?: 'full' | 'decorrelated' | 'none';
}

/**
 * What a `retryOn` predicate is told about an attempt that ended.
 * @example
 * retry({ retryOn: ({ attempt, response }) => attempt < 3 && response?.status === 409 });
 */
export interface RetryState extends Outcome {
  /** The attempt that ended, 1 for the first. */
  attempt: number;
}

/**
 * Options of a retry for one call, on `init.ferrule.retry` or in a route rule.
 * @example
 * await fetch(url, { ferrule: { retry: { maxAttempts: 5, maxElapsedMs: 20_000 } } });
 */
export interface RetryCallOptions {
  /** Attempts in all, the first one included; 1 turns retrying off. @default 3 */
  maxAttempts?: number;
  /** How the delay between attempts grows. @default { initialDelayMs: 200, jitter: 'full' } */
  backoff?: BackoffOptions;
  /** The longest delay the backoff may wait. @default 30_000 */
  maxDelayMs?: number;
  /** A longer `Retry-After` (or `retry-after-ms`) is capped to this. @default 60_000 */
  maxRetryAfterMs?: number;
  /** Gives up instead of retrying when the call would have run longer than this. @default Infinity */
  maxElapsedMs?: number;
  /**
   * Which outcomes are retried: a list of statuses (network errors and attempt timeouts are retried
   * too), or a predicate that decides alone.
   * @default [408, 429, 500, 502, 503, 504]
   */
  retryOn?: readonly number[] | ((state: RetryState) => boolean);
  /**
   * Methods that are retried. Any other method is retried only when the request carries an
   * `Idempotency-Key` header (see `idempotencyKey()`), and never otherwise, even before its body was sent.
   * @default ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']
   */
  methods?: readonly string[];
}

/**
 * Options of {@link retry}.
 * @example
 * const options: RetryOptions = { maxAttempts: 4, budget: retryBudget({ ratio: 0.2 }) };
 */
export interface RetryOptions extends RetryCallOptions {
  /** The budget every retry draws from; `false` for none. @default a `retryBudget()` of this middleware */
  budget?: RetryBudget | false;
  /** Options by route, for callers that cannot pass `init.ferrule` (a third-party SDK). @default [] */
  routes?: readonly Route<RetryCallOptions>[];
}

declare module '@ferrule/core' {
  interface CallOptions {
    /** Per-call retry options of `@ferrule/resilience`, or `false` for no retry. */
    retry?: RetryCallOptions | false;
  }
}

const entries = {
  maxAttempts: optional(pipe(count(1), maxValue(100))),
  backoff: optional(
    strictObject({
      initialDelayMs: optional(delayMs),
      jitter: optional(picklist(['full', 'decorrelated', 'none'])),
    }),
  ),
  maxDelayMs: optional(delayMs),
  maxRetryAfterMs: optional(delayMs),
  maxElapsedMs: optional(nonNegative),
  retryOn: optional(union([statuses, fn<RetryCallOptions['retryOn']>()])),
  methods: optional(methods),
};

const GENERATORS = { full: fullJitterGenerator, decorrelated: decorrelatedJitterGenerator, none: noJitterGenerator };

interface RetryPlan {
  maxAttempts: number;
  backoff: ExponentialBackoff<unknown>;
  maxRetryAfterMs: number;
  maxElapsedMs: number;
  retryOn: (state: RetryState) => boolean;
  methods: ReadonlySet<string>;
}

const compile = ({
  maxAttempts = 3,
  backoff: { initialDelayMs = 200, jitter = 'full' } = {},
  maxDelayMs = 30_000,
  maxRetryAfterMs = 60_000,
  maxElapsedMs = Infinity,
  retryOn = TRANSIENT_STATUSES,
  methods = IDEMPOTENT_METHODS,
}: RetryCallOptions): RetryPlan => ({
  maxAttempts,
  backoff: new ExponentialBackoff({
    generator: GENERATORS[jitter] as never,
    initialDelay: initialDelayMs,
    maxDelay: maxDelayMs,
  }),
  maxRetryAfterMs,
  maxElapsedMs,
  retryOn: outcomeTest(retryOn),
  methods: new Set(methods),
});

// A request that may be sent more than once: by its method, or because it carries an idempotency key.
const mayRepeat = (request: Request, plan: RetryPlan) =>
  plan.maxAttempts > 1 && (hasMethod(plan.methods, request.method) || request.headers.has(IDEMPOTENCY_KEY));

/**
 * Retries failed attempts with exponential backoff and jitter (cockatiel's generators), honouring
 * `Retry-After` and `retry-after-ms` up to `maxRetryAfterMs`. Only idempotent methods, or requests
 * with an `Idempotency-Key`, are retried; their body is buffered once and replayed on every attempt.
 * Every retry draws from a {@link RetryBudget}. Emits `retry`, `retry-exhausted` and `retry-budget`.
 * @example
 * const fetch = createFetch({ use: [retry({ maxAttempts: 4, backoff: { jitter: 'decorrelated' } })] });
 * await fetch(url, { ferrule: { retry: { maxAttempts: 2 } } });
 */
export function retry(options: RetryOptions = {}): Middleware {
  const [planFor] = planner<RetryCallOptions, RetryPlan>(
    'retry',
    options,
    entries,
    { budget: optional(union([literal(false), looseObject({ tryWithdraw: func() })])) },
    compile,
  );
  // The budget as given: valibot hands back a copy, which would lose a class's methods and fields.
  const { budget: given } = options;
  const budget = given === false ? undefined : (given ?? retryBudget());

  return async function retry(request, context, next) {
    const plan = planFor(request, context);
    if (!plan) return next(request, context);
    const { clock, signal } = context;
    // Every call counts towards the budget, so retries stay a fraction of all the load.
    budget?.deposit(clock.now());
    if (!mayRepeat(request, plan)) return next(request, context);
    // Streamed or not, the body is read once here and each attempt gets a fresh copy of it.
    const replay = request.body === null ? () => request : await replayable(request);
    const startMs = clock.now();
    let backoff: IBackoff<unknown> | undefined;
    for (let attempt = 1; ; attempt++) {
      // The copy carries no signal: the terminal fetch sends it under the context's.
      const attemptRequest = replay();
      const sent = next(
        attemptRequest,
        attempt === 1 ? context : { ...context, attempt: context.attempt + attempt - 1 },
      );
      const state: RetryState = { ...(await outcomeOf(attemptRequest, sent)), attempt };
      if (!holds(state, signal, plan.retryOn)) return settle(state);
      backoff = backoff ? backoff.next(state) : plan.backoff.next();
      const waitMs = waitBefore(plan, context, budget, state, backoff.duration, startMs);
      if (waitMs === undefined) return settle(state);
      discard(state.response);
      if (waitMs > 0) await clock.sleep(waitMs, signal);
    }
  };
}

/** How long to wait before the next attempt, or `undefined` to give up (with its event). */
function waitBefore(
  plan: RetryPlan,
  context: Context,
  budget: RetryBudget | undefined,
  state: RetryState,
  backoffMs: number,
  startMs: number,
): number | undefined {
  const nowMs = context.clock.now();
  const reason = reasonOf(state);
  const { response, attempt } = state;
  const waitMs = (response && getRetryAfterMs(response.headers, { nowMs, maxMs: plan.maxRetryAfterMs })) ?? backoffMs;
  const givesUp =
    attempt >= plan.maxAttempts ? 'max-attempts' : nowMs + waitMs - startMs > plan.maxElapsedMs ? 'max-elapsed' : '';
  if (givesUp) context.emit({ type: 'retry-exhausted', attempts: attempt, reason: givesUp });
  else if (budget && !budget.tryWithdraw(nowMs)) context.emit({ type: 'retry-budget', reason });
  else {
    context.emit({
      type: 'retry',
      attempt: attempt + 1,
      delayMs: waitMs,
      reason,
      ...(response && { status: response.status }),
    });
    return waitMs;
  }
}
