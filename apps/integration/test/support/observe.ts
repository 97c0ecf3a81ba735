import type { FerruleEvent, Middleware } from '@ferrule/core';
import {
  type LoggingOptions,
  type LogRecord,
  logging,
  type Metrics,
  metrics,
  type RouteRule,
} from '@ferrule/observability';
import { tracing } from '@ferrule/observability/otel';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** One line a logger was handed. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  record: LogRecord;
  message: string;
}

/** What a client's observability layer saw: log lines, events, spans and metrics, all kept in memory. */
export interface Observed {
  /** The observability slot: `logging()`, `metrics()` and `tracing()`, in that order. */
  readonly middlewares: Middleware[];
  /** Give it to `createFetch` / `createClient` as `onEvent`. */
  readonly onEvent: (event: FerruleEvent) => void;
  readonly logs: LogLine[];
  readonly events: FerruleEvent[];
  readonly stats: Metrics;
  /** The finished spans, from an in-memory exporter. */
  spans(): ReadableSpan[];
  /** The events of one type, typed. */
  eventsOf<Type extends FerruleEvent['type']>(type: Type): Extract<FerruleEvent, { type: Type }>[];
}

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** Route templates for metrics and spans. */
  routes?: RouteRule[];
  /** Logging options besides the capturing logger. @default { level: 'debug', headers: true, body: true } */
  logging?: Omit<LoggingOptions, 'logger'>;
}

/**
 * The observability slot of a client with everything captured in memory: a logger that keeps every line
 * (at debug level, with headers and bodies, the most a log can hold), every event, and every span.
 * @example
 * const observed = observe();
 * const api = createClient({ observability: observed.middlewares, onEvent: observed.onEvent });
 */
export function observe({
  routes = [],
  logging: loggingOptions = { level: 'debug', headers: true, body: true },
}: ObserveOptions = {}): Observed {
  const logs: LogLine[] = [];
  const events: FerruleEvent[] = [];
  const line =
    (level: LogLine['level']) =>
    (record: LogRecord, message: string): void => {
      logs.push({ level, record, message });
    };
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const stats = metrics({ routes });
  return {
    middlewares: [
      logging({
        ...loggingOptions,
        logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
      }),
      stats,
      tracing({ tracer: provider.getTracer('ferrule-integration'), routes }),
    ],
    onEvent: (event) => events.push(event),
    logs,
    events,
    stats,
    spans: () => exporter.getFinishedSpans(),
    eventsOf: <Type extends FerruleEvent['type']>(type: Type) =>
      events.filter((event): event is Extract<FerruleEvent, { type: Type }> => event.type === type),
  };
}
