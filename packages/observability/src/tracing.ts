import {
  type Context as CallContext,
  type EmittedEvent,
  editable,
  type Middleware,
  validateOptions,
} from '@ferrule/core';
import {
  type Attributes,
  type Context,
  type Histogram,
  type Meter,
  context as otelContext,
  metrics as otelMetrics,
  propagation,
  type Span,
  SpanKind,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import * as v from 'valibot';
import { type Call, describeError, observeCall, redactNames, remembered, settle } from './call.ts';
import { type RouteOptions, RouteOptionsSchema, routeNamer } from './route.ts';
import { withMethod } from './schemas.ts';
import { endWith, eventAttributes, fullUrl, METRIC_KEYS, outcome, startAttributes } from './span-attributes.ts';

/** Options of {@link tracing}. */
export interface TracingOptions extends RouteOptions {
  /** The tracer spans come from. @default trace.getTracer('@ferrule/observability') */
  tracer?: Tracer;
  /** The meter of the `http.client.request.duration` histogram. @default metrics.getMeter('@ferrule/observability') */
  meter?: Meter;
  /**
   * Writes the trace context into the outgoing request. When the global propagator is the no-op
   * one (no SDK registered it), ferrule writes W3C `traceparent` and `tracestate` itself.
   * @default the global propagator
   */
  propagator?: TextMapPropagator;
  /** Whether to write the trace context into outgoing requests at all. @default true */
  propagate?: boolean;
  /** More query parameter names to redact in `url.full` and event attributes. @default [] */
  redact?: readonly string[];
}

const SCOPE = '@ferrule/observability';
const RESEND_COUNT = 'http.request.resend_count';

// OpenTelemetry HTTP semantic conventions, v1.44: the advised buckets of http.client.request.duration.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const TracingOptionsSchema = v.strictObject({
  ...RouteOptionsSchema,
  tracer: withMethod('startSpan', 'an OpenTelemetry Tracer'),
  meter: withMethod('createHistogram', 'an OpenTelemetry Meter'),
  propagator: withMethod('inject', 'an OpenTelemetry TextMapPropagator'),
  propagate: v.optional(v.boolean()),
  redact: v.optional(v.array(v.string())),
});

const NOT_LISTENING = { open: new Map<number, Span>(), listener: undefined };

const headerSetter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

/**
 * Traces every call with OpenTelemetry: a CLIENT span per logical call that follows the HTTP
 * client semantic conventions (v1.44), an INTERNAL child span per network attempt (with
 * `http.request.resend_count` from the second on), the events of the layers below (retry, cache,
 * rate limit, circuit, timeout, …) as span events, the `http.client.request.duration` histogram in
 * seconds, and W3C `traceparent`/`tracestate` on the outgoing request. Import it from
 * `@ferrule/observability/otel`; nothing of OpenTelemetry loads from the main entry. Put it first in `use`.
 * @example
 * const fetch = createFetch({ use: [tracing({ tracer: provider.getTracer('shop'), routes: [{ match: 'GET /users/*', name: '/users/:id' }] })] });
 */
export function tracing(options: TracingOptions = {}): Middleware {
  validateOptions(TracingOptionsSchema, options, 'tracing');
  // The options themselves, not valibot's copy: the tracer and meter keep their prototypes.
  const { tracer = trace.getTracer(SCOPE), meter, propagator, propagate = true, redact } = options;
  const nameRoute = routeNamer(options, 'tracing');
  const names = redactNames(redact);
  const redactedUrl = remembered(fullUrl(names));
  let histogram: Histogram | undefined;
  // Made on first use, so that a MeterProvider registered after this middleware still counts.
  const duration = () =>
    (histogram ??= (meter ?? otelMetrics.getMeter(SCOPE)).createHistogram('http.client.request.duration', {
      unit: 's',
      description: 'Duration of HTTP client requests.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }));

  const inject = (active: Context, span: Span, headers: Headers) => {
    const using = propagator ?? (propagation.fields().length > 0 ? propagation : undefined);
    if (using) return using.inject(active, headers, headerSetter);
    // No propagator registered: W3C Trace Context itself (https://www.w3.org/TR/trace-context/ §3.2).
    const { traceId, spanId, traceFlags, traceState } = span.spanContext();
    if (!trace.isSpanContextValid(span.spanContext())) return;
    headers.set('traceparent', `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`);
    const state = traceState?.serialize();
    if (state) headers.set('tracestate', state);
  };

  // Attempt spans open on `request` and close on `response` / `network-error`; anything else is a span event.
  const listen = (span: Span, active: Context, name: string, { clock }: CallContext) => {
    const open = new Map<number, Span>();
    const listener = (event: EmittedEvent, call: Call) => {
      const nowMs = clock.now();
      if (event.type === 'request') {
        open.get(event.attempt)?.end(nowMs);
        const attributes: Attributes = { 'ferrule.attempt': event.attempt };
        // Counts every resend, whatever caused it (a retry, a replay after 401), as the conventions ask.
        if (call.attempts > 1) attributes[RESEND_COUNT] = call.attempts - 1;
        const options = { kind: SpanKind.INTERNAL, attributes, startTime: nowMs };
        open.set(event.attempt, tracer.startSpan(`${name} attempt`, options, active));
      } else if (event.type === 'response' || event.type === 'network-error') {
        const attempt = open.get(event.attempt);
        open.delete(event.attempt);
        const result =
          event.type === 'response' ? outcome(event.status) : outcome(undefined, event.errorCode ?? event.errorName);
        if (attempt) endWith(attempt, result, nowMs);
      } else span.addEvent(`ferrule.${event.type}`, eventAttributes(event, names), nowMs);
    };
    return { open, listener };
  };

  const finish = (span: Span, attributes: Attributes, call: Call, open: Map<number, Span>) => {
    const endMs = call.startMs + call.durationMs;
    for (const attempt of open.values()) attempt.end(endMs);
    let errorType: string | undefined;
    if (call.failed) {
      const { name, code, message } = describeError(call.error, names);
      errorType = code ?? name;
      span.recordException({ name, message }, endMs);
    }
    if (call.attempts > 1) span.setAttribute(RESEND_COUNT, call.attempts - 1);
    const result = outcome(call.response?.status, errorType);
    endWith(span, result, endMs);
    const all = { ...attributes, ...result };
    const measured: Attributes = {};
    for (const key of METRIC_KEYS) if (all[key] !== undefined) measured[key] = all[key];
    duration().record(call.durationMs / 1000, measured);
  };

  return async function tracing(request, context, next) {
    const route = nameRoute(request, context.options);
    const parent = otelContext.active();
    let span: Span;
    let attributes: Attributes;
    let name: string;
    try {
      attributes = startAttributes(request, redactedUrl(request.url), route);
      const method = attributes['http.request.method'];
      name = `${method === '_OTHER' ? 'HTTP' : method}${route ? ` ${route}` : ''}`;
      span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: context.clock.now() }, parent);
    } catch {
      // A tracer that throws never breaks a request: the call goes on untraced.
      return next(request, context);
    }
    const active = trace.setSpan(parent, span);
    let outgoing = request;
    if (propagate) {
      try {
        outgoing = editable(request, context);
        inject(active, span, outgoing.headers);
      } catch {
        // A propagator that throws only costs the trace context on the wire.
      }
    }
    // A span that is not recorded (sampled out, or no SDK) gets no attempt spans or events; the metric still counts.
    const { open, listener } = span.isRecording() ? listen(span, active, name, context) : NOT_LISTENING;
    const call = await otelContext.with(active, observeCall, undefined, outgoing, context, next, listener);
    try {
      finish(span, attributes, call, open);
    } catch {
      // An exporter or meter that throws never breaks a request.
    }
    return settle(call);
  };
}
