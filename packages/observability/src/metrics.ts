import {
  type CacheStatus,
  type CircuitState,
  type EmittedEvent,
  type Middleware,
  safely,
  validateOptions,
} from '@ferrule/core';
import * as v from 'valibot';
import { type Call, knownMethod, observeCall, redactNames, scrub, settle, statusClass } from './call.ts';
import { createLatencyHistogram, type LatencyHistogram, type LatencyHistogramJSON } from './histogram.ts';
import { toPrometheus } from './prometheus.ts';
import { type RouteOptions, RouteOptionsSchema, routeNamer } from './route.ts';
import { matching } from './schemas.ts';

/** Options of {@link metrics}. */
export interface MetricsOptions extends RouteOptions {
  /**
   * The most label combinations (route × method × status class) and circuits kept. Past it, new
   * routes count under `'other'`, so memory stays bounded even if `route` returned raw URLs.
   * @default 500
   */
  maxSeries?: number;
  /** Relative accuracy of the latency percentiles. @default 0.01 */
  relativeAccuracy?: number;
  /** Prefix of every Prometheus metric name. @default 'ferrule' */
  namespace?: string;
  /** More names to redact in circuit keys that hold a URL. @default [] */
  redact?: readonly string[];
}

/** Latency of a set of calls, in ms. */
export interface LatencySummary {
  count: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** The calls of one route, method and status class. */
export interface SeriesSnapshot {
  route: string;
  method: string;
  /** `'2xx'`…`'5xx'`, or `'error'` for calls that failed without a response. */
  statusClass: string;
  calls: number;
  /** Network attempts; fewer than `calls` when a cache answered. */
  attempts: number;
  rateLimitWaitMs: number;
  /** Calls by what the cache did with them. */
  cache: Partial<Record<CacheStatus, number>>;
  /** Events by type: `retry`, `timeout`, `circuit`, `hedge`, `fallback`, `bulkhead`, … */
  events: Record<string, number>;
  /** The percentiles, and the histogram itself so that snapshots of several processes can merge. */
  latency: LatencySummary & { histogram: LatencyHistogramJSON };
}

/** Everything {@link metrics} counted, as JSON. */
export interface MetricsSnapshot {
  calls: number;
  /** Share of calls answered with a status below 400; `null` before the first call. */
  successRate: number | null;
  attempts: number;
  retries: number;
  /** Calls served from the cache (`hit`, `stale`) over calls that consulted it; `null` when none did. */
  cacheHitRatio: number | null;
  rateLimitWaitMs: number;
  latency: LatencySummary;
  series: SeriesSnapshot[];
  /** The last known state of each circuit, and how often it changed. */
  circuits: Record<string, { state: CircuitState; transitions: number }>;
}

/** The {@link metrics} middleware, with its readings. */
export interface Metrics extends Middleware {
  /** Everything counted so far, as JSON. */
  snapshot(): MetricsSnapshot;
  /** The same, in the Prometheus text exposition format (0.0.4). */
  prometheus(): string;
  /** Forgets everything counted. */
  reset(): void;
}

// A live series: its snapshot's counters, and the histogram its latency comes from.
interface Series extends Omit<SeriesSnapshot, 'latency'> {
  histogram: LatencyHistogram;
}

const MetricsOptionsSchema = v.strictObject({
  ...RouteOptionsSchema,
  maxSeries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  relativeAccuracy: v.optional(v.pipe(v.number(), v.gtValue(0), v.ltValue(1))),
  namespace: v.optional(matching(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus name such as my_app')),
  redact: v.optional(v.array(v.string())),
});

// What counts as a success: an answer below 400.
const ANSWERED_WELL = new Set(['1xx', '2xx', '3xx']);

const summarize = (histogram: LatencyHistogram): LatencySummary => ({
  count: histogram.count,
  sumMs: histogram.sum,
  minMs: histogram.count ? histogram.min : 0,
  maxMs: histogram.count ? histogram.max : 0,
  p50Ms: histogram.quantile(0.5) || 0,
  p95Ms: histogram.quantile(0.95) || 0,
  p99Ms: histogram.quantile(0.99) || 0,
});

const addInto = (target: Record<string, number>, source: Record<string, number> | undefined) => {
  for (const key in source) target[key] = (target[key] ?? 0) + (source[key] as number);
};

/**
 * Counts every call in process: calls, attempts, cache use, rate-limit waits, retries and other
 * events, and latency percentiles (p50/p95/p99 from a bounded, mergeable histogram) per route
 * template, method and status class; plus the state of every circuit. Read it with `snapshot()`
 * (JSON) or `prometheus()` (text exposition). Put it first in `use`.
 * @example
 * const stats = metrics({ routes: [{ match: 'GET /users/*', name: '/users/:id' }] });
 * const fetch = createFetch({ use: [stats] });
 * await fetch('https://api.example.com/users/42');
 * stats.snapshot().series[0]?.latency.p99Ms;
 */
export function metrics(options: MetricsOptions = {}): Metrics {
  const {
    maxSeries = 500,
    relativeAccuracy = 0.01,
    namespace = 'ferrule',
    redact,
  } = validateOptions(MetricsOptionsSchema, options, 'metrics');
  const nameRoute = routeNamer(options, 'metrics');
  const names = redactNames(redact);
  // Series by route, then found among the few of that route by method and status class: the strings
  // are the same objects call after call, so no key is built per call.
  const table = new Map<string, Series[]>();
  let size = 0;
  const circuits = new Map<string, { state: CircuitState; transitions: number }>();

  const onEvent = (event: EmittedEvent) => {
    if (event.type !== 'circuit') return;
    const key = scrub(event.key, names);
    const circuit = circuits.get(key);
    if (circuit) {
      circuit.state = event.state;
      circuit.transitions++;
    } else if (circuits.size < maxSeries) circuits.set(key, { state: event.state, transitions: 1 });
  };

  const seriesFor = (route: string, method: string, cls: string): Series => {
    const list = table.get(route);
    for (const series of list ?? []) if (series.method === method && series.statusClass === cls) return series;
    // Past the cap, a new route joins 'other' (methods and classes are few, so that stays bounded).
    if (size >= maxSeries && route !== 'other') return seriesFor('other', method, cls);
    const series: Series = {
      route,
      method,
      statusClass: cls,
      calls: 0,
      attempts: 0,
      rateLimitWaitMs: 0,
      cache: {},
      events: {},
      histogram: createLatencyHistogram({ relativeAccuracy }),
    };
    if (list) list.push(series);
    else table.set(route, [series]);
    size++;
    return series;
  };

  const record = (request: Request, route: string, call: Call) => {
    const series = seriesFor(route, knownMethod(request.method), statusClass(call.response?.status));
    series.calls++;
    series.attempts += call.attempts;
    series.rateLimitWaitMs += call.rateLimitWaitMs;
    if (call.cache) series.cache[call.cache] = (series.cache[call.cache] ?? 0) + 1;
    addInto(series.events, call.events);
    series.histogram.record(call.durationMs);
  };

  const snapshot = (): MetricsSnapshot => {
    const all = createLatencyHistogram({ relativeAccuracy });
    const cache: Record<string, number> = {};
    const events: Record<string, number> = {};
    let calls = 0;
    let succeeded = 0;
    let attempts = 0;
    let rateLimitWaitMs = 0;
    const series = [...table.values()].flat().map((entry): SeriesSnapshot => {
      all.merge(entry.histogram);
      addInto(cache, entry.cache);
      addInto(events, entry.events);
      calls += entry.calls;
      if (ANSWERED_WELL.has(entry.statusClass)) succeeded += entry.calls;
      attempts += entry.attempts;
      rateLimitWaitMs += entry.rateLimitWaitMs;
      const { histogram, ...rest } = entry;
      return {
        ...rest,
        cache: { ...rest.cache },
        events: { ...rest.events },
        latency: { ...summarize(histogram), histogram: histogram.toJSON() },
      };
    });
    const served = (cache.hit ?? 0) + (cache.stale ?? 0);
    const lookups = served + (cache.miss ?? 0) + (cache.revalidated ?? 0);
    return {
      calls,
      successRate: calls ? succeeded / calls : null,
      attempts,
      retries: events.retry ?? 0,
      cacheHitRatio: lookups ? served / lookups : null,
      rateLimitWaitMs,
      latency: summarize(all),
      series,
      circuits: Object.fromEntries([...circuits].map(([key, circuit]) => [key, { ...circuit }])),
    };
  };

  const middleware: Middleware = async function metrics(request, context, next) {
    const route = nameRoute(request, context.options) ?? 'other';
    const call = await observeCall(request, context, next, onEvent);
    safely(record, request, route, call);
    return settle(call);
  };
  return Object.assign(middleware, {
    snapshot,
    prometheus: () => toPrometheus(snapshot(), namespace),
    reset: () => {
      table.clear();
      size = 0;
      circuits.clear();
    },
  });
}
