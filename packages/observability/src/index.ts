export { createLatencyHistogram, type LatencyHistogram, type LatencyHistogramJSON } from './histogram.ts';
export { type Logger, type LoggingOptions, type LogLevel, type LogMethod, type LogRecord, logging } from './logging.ts';
export {
  type LatencySummary,
  type Metrics,
  type MetricsOptions,
  type MetricsSnapshot,
  metrics,
  type SeriesSnapshot,
} from './metrics.ts';
export type { ObservabilityCallOptions, RouteOptions, RouteRule } from './route.ts';
// `tracing()` lives at `@ferrule/observability/otel`, so that this entry never loads OpenTelemetry.
