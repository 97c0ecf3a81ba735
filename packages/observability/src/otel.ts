// The OpenTelemetry entry, `@ferrule/observability/otel`: the only module that imports
// `@opentelemetry/api` (an optional peer dependency), so the main entry never loads it.
export { type TracingOptions, tracing } from './tracing.ts';
