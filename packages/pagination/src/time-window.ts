import { validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { count, param } from './schemas.ts';
import type { PaginationStrategy } from './strategy.ts';

/** A point in time: epoch milliseconds, a `Date`, or an ISO 8601 string. */
export type TimeInput = number | Date | string;

/** Options of {@link timeWindow}. */
export interface TimeWindowOptions {
  /** The start of the first window (inclusive). */
  since: TimeInput;
  /** The end of the last window (exclusive). @default the time `paginate` is called */
  until?: TimeInput;
  /** The length of each window; each window is one request, so choose one that fits in a response. */
  stepMs: number;
  /** The query parameter that carries the start of a window (inclusive). @default 'since' */
  sinceParam?: string;
  /** The query parameter that carries the end of a window (exclusive). @default 'until' */
  untilParam?: string;
  /** Writes a time as the API reads it. @default ISO 8601 (`new Date(ms).toISOString()`) */
  format?: (ms: number) => string;
}

/** A time window's position: the start of the window to fetch, and the end of the whole range. */
export interface TimeWindowPosition {
  [key: string]: number;
  since: number;
  until: number;
}

// `new Date` reads epoch ms, a Date and an ISO 8601 string alike; anything else is NaN.
const time = v.pipe(
  v.union([v.number(), v.date(), v.string()]),
  v.transform((value) => new Date(value).getTime()),
  v.finite('a time (epoch ms, Date or ISO 8601)'),
);
const finite = v.pipe(v.number(), v.finite());
const PositionSchema = v.strictObject({ since: finite, until: finite });

const TimeWindowOptionsSchema = v.pipe(
  v.strictObject({
    since: time,
    until: v.optional(time),
    stepMs: count(1),
    sinceParam: v.optional(param, 'since'),
    untilParam: v.optional(param, 'until'),
    format: v.optional(v.function() as v.GenericSchema<(ms: number) => string>, () => iso),
  }),
  v.forward(
    v.check(({ since, until = since }) => since <= until, 'a time after `since`'),
    ['until'],
  ),
);

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Time-window pagination for time-based feeds: `[since, since + stepMs)`, then the next window, up to
 * `until`, one request each. An empty window does not end the feed; the end of the range does. The
 * windows are known in advance, so they can be fetched in parallel (`concurrency`).
 * @example
 * paginate(fetch, 'https://api.example.com/events', {
 *   strategy: timeWindow({ since: '2025-01-01T00:00:00Z', until: '2025-01-02T00:00:00Z', stepMs: 3_600_000 }),
 * });
 */
export function timeWindow(options: TimeWindowOptions): PaginationStrategy<TimeWindowPosition> {
  const { since, until, stepMs, sinceParam, untilParam, format } = validateOptions(
    TimeWindowOptionsSchema,
    options,
    'timeWindow',
  );
  const following = ({ since: start, until: end }: TimeWindowPosition) =>
    start + stepMs < end ? { since: start + stepMs, until: end } : undefined;
  return {
    name: 'time-window',
    start: ({ now }) => ({ since, until: until ?? Math.max(now, since) }),
    isPosition: (value): value is TimeWindowPosition => v.is(PositionSchema, value) && value.since <= value.until,
    url(url, { since: start, until: end }) {
      url.searchParams.set(sinceParam, format(start));
      url.searchParams.set(untilParam, format(Math.min(start + stepMs, end)));
      return url;
    },
    next: ({ position }) => following(position),
    ahead: following,
  };
}
