import type { Clock, FerruleEvent, StandardSchemaV1 } from '@ferrule/core';
import * as v from 'valibot';
import { CheckpointSchema, type PaginationCheckpoint } from './checkpoint.ts';
import { count, extractorSchema } from './schemas.ts';
import type { Extractor, JsonValue, PaginationStrategy } from './strategy.ts';

/** Options of `paginate`. */
export interface PaginateOptions<Item = unknown> {
  /** How to find the next page. @default linkHeader() */
  strategy?: PaginationStrategy<JsonValue>;
  /** Where a page's items are in its body: a dotted path or a function. @default the body itself */
  items?: Extractor;
  /** A Standard Schema (valibot, zod, arktype…) each item must match; items come out as its output. */
  schema?: StandardSchemaV1<unknown, Item>;
  /** Fetch at most this many pages. @default Infinity */
  maxPages?: number;
  /** Deliver at most this many items; the last page is cut short to fit. @default Infinity */
  maxItems?: number;
  /**
   * Aborts the pagination: every request in flight, and the iteration, at once.
   * @default init.signal, or the input Request's signal
   */
  signal?: AbortSignal;
  /**
   * How many page requests may be in flight at once. Above 1, pages are fetched ahead of the consumer
   * (in parallel for `offset` and `page` once the total is known, and for `timeWindow`); items
   * still come out in order.
   * @default 1
   */
  concurrency?: number;
  /** A checkpoint to continue from, as `checkpoint()` gave it. @default none: the first page */
  resumeFrom?: PaginationCheckpoint;
  /**
   * Origins besides the input's that next-page links may lead to (`'https://cdn.example.com'`).
   * A link to any other origin throws: the request's credentials would go there.
   * @default []
   */
  allowOrigins?: readonly string[];
  /**
   * The request options of every page request (headers, per-call `ferrule` options, …); they win over
   * those of an input `Request`.
   * @default {}
   */
  init?: RequestInit;
  /** Receives a `pagination` event for every page delivered. A listener that throws is ignored. */
  onEvent?: (event: FerruleEvent) => void;
  /** The clock for event times and the default end of a `timeWindow`. @default systemClock */
  clock?: Clock;
}

// These check the strategy, the schema and the clock; `paginate` uses the objects as given (a method may
// sit on a prototype, and an ArkType schema is a function).
const method = v.function();
const StrategySchema = v.looseObject({
  name: v.string(),
  start: method,
  isPosition: method,
  url: method,
  next: method,
});
const isSchema = (value: unknown) =>
  typeof (value as Partial<StandardSchemaV1> | undefined)?.['~standard']?.validate === 'function';

const limit = v.pipe(
  v.number(),
  v.check((value) => value === Infinity || (Number.isInteger(value) && value >= 1), 'a count >= 1'),
);

const origin = v.pipe(
  v.string(),
  v.regex(/^https?:\/\//i, 'an http(s) origin'),
  v.url('an http(s) origin'),
  v.transform((value) => new URL(value).origin),
);

export const PaginateOptionsSchema = v.strictObject({
  strategy: v.optional(StrategySchema),
  items: v.optional(extractorSchema),
  schema: v.optional(v.pipe(v.unknown(), v.check(isSchema, 'a Standard Schema'))),
  maxPages: v.optional(limit, Infinity),
  maxItems: v.optional(limit, Infinity),
  signal: v.optional(v.instance(AbortSignal)),
  concurrency: v.optional(v.pipe(count(1), v.maxValue(64)), 1),
  resumeFrom: v.optional(CheckpointSchema),
  allowOrigins: v.optional(v.array(origin), []),
  init: v.optional(v.looseObject({}) as v.GenericSchema<RequestInit>, {}),
  onEvent: v.optional(v.function()),
  clock: v.optional(v.looseObject({ now: method })),
});
