import {
  ConfigError,
  type Context,
  type EmittedEvent,
  type Middleware,
  matchRoute,
  RateLimitedError,
  type RateLimitStore,
  type RouteMatcher,
  validateOptions,
} from '@ferrule/core';
import * as v from 'valibot';
import { adapt } from './adaptive.ts';
import type { Lane, Limiter, Settings } from './lane.ts';
import { memoryRateLimitStore } from './memory-store.ts';
import { capacityOf, checkPolicies, type Policy, signatureOf } from './policies.ts';
import { acquire, laneFor, release } from './scheduler.ts';

/**
 * What one call may ask of the rate limiter, on `init.ferrule.rateLimit` or in a route rule.
 * @example
 * await fetch(url, { ferrule: { rateLimit: { priority: 10, cost: 5, key: 'bulk' } } });
 */
export interface RateLimitCallOptions {
  /** Higher goes first among waiting calls; equal priorities go in order of arrival. */
  priority?: number;
  /** Permits this call takes (an expensive endpoint may cost more). @default 1 */
  cost?: number;
  /** The key whose limits this call shares, instead of the one `key` derives. */
  key?: string;
}

declare module '@ferrule/core' {
  interface CallOptions {
    /** Options of `@ferrule/rate-limit` for this call. */
    rateLimit?: RateLimitCallOptions;
  }
}

/**
 * A rule for the requests that `match` (e.g. `'POST /search'`): its own limits, key, cost or priority.
 * @example
 * rateLimit({ routes: [{ match: 'POST /search', policy: tokenBucket({ ratePerSecond: 1 }), key: 'search' }] });
 */
export interface RateLimitRoute extends Omit<RateLimitCallOptions, 'key'> {
  match: RouteMatcher;
  /** Limits of their own for these requests, instead of `rateLimit`'s `policy`. */
  policy?: Policy | readonly Policy[];
  /** The key for these requests: a fixed name or a function of the request. */
  key?: string | ((request: Request) => string);
}

/**
 * How `rateLimit` adapts to what servers say.
 * @example
 * rateLimit({ adaptive: { slowBelow: 0.25 } }); // spread the last quarter of a quota
 */
export interface AdaptiveOptions {
  /**
   * Once less than this share of the server's quota is left, the rest is spread evenly over the
   * time until it resets (0 never slows down; 1 always spreads the quota). @default 0.1
   */
  slowBelow?: number;
}

/**
 * Options of {@link rateLimit}.
 * @example
 * rateLimit({ policy: slidingWindow({ limit: 100, windowMs: 60_000 }), maxQueued: 50, maxWaitMs: 10_000 });
 */
export interface RateLimitOptions {
  /** The limits, one or several (all must allow a call). None: only the server's signals limit calls. */
  policy?: Policy | readonly Policy[];
  /** Which calls share limits. @default the request's origin */
  key?: (request: Request) => string;
  /** Where the counters live; share a Redis store to share limits between processes. @default memoryRateLimitStore */
  store?: RateLimitStore;
  /** Calls that may wait per key; beyond, a call fails at once with a `RateLimitedError`. @default 1000 */
  maxQueued?: number;
  /** The longest a call waits; a call that would wait longer fails with a `RateLimitedError`. @default Infinity */
  maxWaitMs?: number;
  /** The priority of calls that do not name one. @default 0 */
  priority?: number;
  /** Follow 429/503 `Retry-After` and quota headers: pause and slow down the key. @default true */
  adaptive?: boolean | AdaptiveOptions;
  /** Rules for some requests: own limits, key, cost or priority. The first rule that matches applies. */
  routes?: readonly RateLimitRoute[];
}

const count = v.pipe(v.number(), v.integer('a whole number'), v.minValue(1));
const priority = v.pipe(v.number(), v.finite());

const optionsSchema = v.strictObject({
  policy: v.optional(v.unknown()),
  key: v.optional(v.function()),
  store: v.optional(v.looseObject({ take: v.function(), pause: v.function() })),
  maxQueued: v.optional(v.pipe(v.number(), v.integer('a whole number'), v.minValue(0))),
  maxWaitMs: v.optional(v.pipe(v.number(), v.minValue(0))),
  priority: v.optional(priority),
  adaptive: v.optional(
    v.union([v.boolean(), v.strictObject({ slowBelow: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))) })]),
  ),
  routes: v.optional(
    v.array(
      v.strictObject({
        match: v.union([v.pipe(v.string(), v.nonEmpty()), v.function()]),
        policy: v.optional(v.unknown()),
        key: v.optional(v.union([v.pipe(v.string(), v.nonEmpty()), v.function()])),
        cost: v.optional(count),
        priority: v.optional(priority),
      }),
    ),
  ),
});

const callSchema = v.strictObject({
  cost: v.optional(count),
  priority: v.optional(priority),
  key: v.optional(v.pipe(v.string(), v.nonEmpty())),
});

function createLimiter(policy: unknown, option: string): Limiter {
  const list = checkPolicies(policy, option);
  let maxConcurrent = Infinity;
  let maxCost = Infinity;
  const stored: Limiter['policies'][number][] = [];
  for (const item of list) {
    if (item.type === 'concurrency') maxConcurrent = Math.min(maxConcurrent, item.max);
    else {
      stored.push({ policy: item, suffix: `#${signatureOf(item)}` });
      maxCost = Math.min(maxCost, capacityOf(item));
    }
  }
  return { policies: stored, maxConcurrent, maxCost, lanes: new Map() };
}

// `https://api.example.com/v1/items?page=2` → `https://api.example.com`, without parsing a URL.
const originOf = (request: Request) => {
  const url = request.url;
  const end = url.indexOf('/', url.indexOf('//') + 2);
  return end < 0 ? url : url.slice(0, end);
};

interface Rule {
  match: RouteMatcher;
  limiter: Limiter | undefined;
  key: string | ((request: Request) => string) | undefined;
  cost: number | undefined;
  priority: number | undefined;
}

function keyOf(derive: string | ((request: Request) => string), request: Request): string {
  if (typeof derive === 'string') return derive;
  const key = derive(request);
  if (typeof key !== 'string' || key === '') throw new ConfigError('rateLimit.key', 'a function that returns a string');
  return key;
}

function reject(lane: Lane, reason: string, request: Request, context: Context): never {
  context.emit({ type: 'ratelimit', action: 'rejected', key: lane.key, reason });
  throw new RateLimitedError(reason, undefined, { request });
}

/**
 * Client-side rate limiting: calls wait in a queue per key (by priority, then arrival) until every
 * policy allows them, so a client stays under an API's limits instead of collecting 429s. Adaptive
 * by default: a 429/503 with `Retry-After` pauses the whole key, and quota headers (`RateLimit`,
 * `X-RateLimit-*`) stop the queue before the quota runs out. Sits inside retry, so every attempt
 * takes a permit.
 * @example
 * const fetch = createFetch({
 *   use: [rateLimit({ policy: [tokenBucket({ ratePerSecond: 10 }), concurrency({ max: 4 })] })],
 * });
 */
export function rateLimit(options: RateLimitOptions = {}): Middleware {
  const parsed = validateOptions(optionsSchema, options, 'rateLimit');
  const adaptive = parsed.adaptive ?? true;
  const settings: Settings = {
    store: options.store,
    maxQueued: parsed.maxQueued ?? 1000,
    maxWaitMs: parsed.maxWaitMs ?? Infinity,
    slowBelow: typeof adaptive === 'object' ? (adaptive.slowBelow ?? 0.1) : 0.1,
  };
  const defaultKey = options.key ?? originOf;
  const defaultPriority = parsed.priority ?? 0;
  const limiter = createLimiter(options.policy, 'rateLimit.policy');
  const rules: Rule[] = (options.routes ?? []).map((route, index) => ({
    match: route.match,
    limiter: route.policy === undefined ? undefined : createLimiter(route.policy, `rateLimit.routes.${index}.policy`),
    key: route.key,
    cost: route.cost,
    priority: route.priority,
  }));
  const matchers = rules.map((rule, index) => {
    try {
      return matchRoute(rule.match);
    } catch {
      throw new ConfigError(`rateLimit.routes.${index}.match`, "a route pattern such as 'GET /products/*'");
    }
  });
  const ruleFor = (request: Request) => rules[matchers.findIndex((matches) => matches(request))];
  // A limiter with no policy, when nothing adapts either, has nothing to do.
  const idle = (target: Limiter) =>
    target.policies.length === 0 && target.maxConcurrent === Infinity && adaptive === false;

  return async function rateLimit(request, context, next) {
    const rule = rules.length > 0 ? ruleFor(request) : undefined;
    const target = rule?.limiter ?? limiter;
    if (idle(target)) return next(request, context);
    const given = context.options.rateLimit;
    const call = given === undefined ? undefined : validateOptions(callSchema, given, 'rateLimit');
    const lane = laneFor(target, call?.key ?? keyOf(rule?.key ?? defaultKey, request));
    const cost = call?.cost ?? rule?.cost ?? 1;
    if (cost > target.maxCost) reject(lane, 'cost-exceeds-limit', request, context);
    settings.store ??= memoryRateLimitStore({ clock: context.clock });
    const priority = call?.priority ?? rule?.priority ?? defaultPriority;
    const waiting = acquire(target, settings, lane, { cost, priority }, request, context);
    if (waiting) await waiting;
    try {
      const response = await next(request, context);
      if (adaptive !== false) {
        const pauseMs = adapt(lane, response, context);
        if (pauseMs > 0) await share(settings.store, lane, pauseMs, context.emit);
      }
      return response;
    } finally {
      release(target, lane, context);
    }
  };
}

// Tells the store of a server's pause, so that every process that shares it pauses too. A store
// that fails here changes nothing locally: this process's lane is paused already.
async function share(store: RateLimitStore, lane: Lane, pauseMs: number, emit: (event: EmittedEvent) => void) {
  await Promise.all(lane.storeKeys.map((key) => store.pause(key, pauseMs, emit).catch(() => undefined)));
}
