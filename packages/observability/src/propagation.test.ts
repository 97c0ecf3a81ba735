import { createFetch } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import {
  context,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type TextMapPropagator,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { AsyncContextManager, otelKit } from '../test/otel.ts';
import { tracing } from './tracing.ts';

// A propagator of its own header, to tell which propagator wrote the request.
const vendorPropagator: TextMapPropagator = {
  inject: (active, carrier, setter) => {
    const span = trace.getSpan(active);
    if (span) setter.set(carrier, 'x-vendor-trace', span.spanContext().traceId);
  },
  extract: (active) => active,
  fields: () => ['x-vendor-trace'],
};

afterEach(() => {
  propagation.disable();
  context.disable();
  trace.disable();
});

describe('tracing: trace context on the wire', () => {
  it('sends W3C traceparent naming the call span, checked on the server', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const kit = otelKit();
    await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] })(`${server.url}/items`);
    const call = kit.spans().find((span) => span.kind === SpanKind.CLIENT);
    const { traceId, spanId } = call?.spanContext() ?? {};
    expect(server.requests[0]?.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(server.requests[0]?.headers).not.toHaveProperty('tracestate');
  });

  it('continues the active trace: parent span, trace id, sampled flag and tracestate', async () => {
    context.setGlobalContextManager(new AsyncContextManager());
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const kit = otelKit();
    const client = createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] });
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
      isRemote: true,
    });
    await context.with(parent, () => client(`${server.url}/items`));

    const call = kit.spans().find((span) => span.kind === SpanKind.CLIENT);
    expect(call?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(server.requests[0]?.headers).toMatchObject({
      traceparent: `00-0af7651916cd43dd8448eb211c80319c-${call?.spanContext().spanId}-01`,
      tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    });
  });

  it('runs the layers below inside the call span, so their spans nest under it', async () => {
    context.setGlobalContextManager(new AsyncContextManager());
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const kit = otelKit();
    let innerParent: string | undefined;
    const client = createFetch({
      use: [
        tracing({ tracer: kit.tracer, meter: kit.meter }),
        async (request, callContext, next) => {
          innerParent = trace.getSpan(context.active())?.spanContext().spanId;
          return next(request, callContext);
        },
      ],
    });
    await client(`${server.url}/items`);
    expect(innerParent).toBe(
      kit
        .spans()
        .find((span) => span.kind === SpanKind.CLIENT)
        ?.spanContext().spanId,
    );
  });

  it('uses the globally registered propagator when there is one', async () => {
    propagation.setGlobalPropagator(vendorPropagator);
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const kit = otelKit();
    await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] })(`${server.url}/items`);
    expect(server.requests[0]?.headers['x-vendor-trace']).toBe(kit.spans()[0]?.spanContext().traceId);
    expect(server.requests[0]?.headers).not.toHaveProperty('traceparent');
  });

  it('uses the propagator it is given over the global one', async () => {
    propagation.setGlobalPropagator({ ...vendorPropagator, inject: () => {} });
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const kit = otelKit();
    const client = createFetch({
      use: [tracing({ tracer: kit.tracer, meter: kit.meter, propagator: vendorPropagator })],
    });
    await client(`${server.url}/items`);
    expect(server.requests[0]?.headers['x-vendor-trace']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('sends no trace context when propagate is false', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const kit = otelKit();
    await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter, propagate: false })] })(
      `${server.url}/items`,
    );
    expect(server.requests[0]?.headers).not.toHaveProperty('traceparent');
    expect(kit.spans()).toHaveLength(2);
  });

  it('never touches a Request object the caller passed in', async () => {
    const server = await createTestServer({ 'POST /items': (request) => ({ json: request.json() }) });
    const kit = otelKit();
    const mine = new Request(`${server.url}/items`, { method: 'POST', body: '{"n":1}' });
    const response = await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] })(mine);
    expect(await response.json()).toEqual({ n: 1 });
    expect(mine.headers.has('traceparent')).toBe(false);
    expect(server.requests[0]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('traces with the global tracer and meter providers by default', async () => {
    const kit = otelKit();
    trace.setGlobalTracerProvider(kit.tracerProvider);
    const server = await createTestServer({ 'GET /items': { json: [] } });
    await createFetch({ use: [tracing()] })(`${server.url}/items`);
    expect(kit.spans().map((span) => span.instrumentationScope.name)).toEqual([
      '@ferrule/observability',
      '@ferrule/observability',
    ]);
  });

  it('sends nothing when no SDK is registered: spans are no-ops', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const response = await createFetch({ use: [tracing()] })(`${server.url}/items`);
    expect(response.status).toBe(200);
    expect(server.requests[0]?.headers).not.toHaveProperty('traceparent');
  });
});
