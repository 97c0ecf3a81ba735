import { createFetch, type Middleware } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { type Meter, SpanKind, type Tracer } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { otelKit } from '../test/otel.ts';
import { type LogRecord, logging } from './logging.ts';
import { metrics } from './metrics.ts';
import { tracing } from './tracing.ts';

const boom = () => {
  throw new Error('observer bug');
};

// A tracer whose spans throw from one method.
function tracerThrowingIn(method: 'addEvent' | 'setAttribute' | 'end' | 'recordException', base: Tracer): Tracer {
  return {
    startSpan: (...args: Parameters<Tracer['startSpan']>) =>
      new Proxy(base.startSpan(...args), {
        get: (target, key, receiver) => (key === method ? boom : Reflect.get(target, key, receiver)),
      }),
    startActiveSpan: base.startActiveSpan.bind(base),
  } as Tracer;
}

// Emits an event so that every listener runs.
const emitter: Middleware = async (request, context, next) => {
  context.emit({ type: 'retry', attempt: 1, delayMs: 0, reason: 'test' });
  return next(request, context);
};

describe('an observer that throws never fails a request', () => {
  it.each([
    ['startSpan throws', () => ({ tracer: { startSpan: boom } as unknown as Tracer })],
    ['createHistogram throws', () => ({ meter: { createHistogram: boom } as unknown as Meter })],
    ['record throws', () => ({ meter: { createHistogram: () => ({ record: boom }) } as unknown as Meter })],
    ['the propagator throws', () => ({ propagator: { inject: boom, extract: boom, fields: () => [] } })],
    ['span.addEvent throws', () => ({ tracer: tracerThrowingIn('addEvent', otelKit().tracer) })],
    ['span.setAttribute throws', () => ({ tracer: tracerThrowingIn('setAttribute', otelKit().tracer) })],
    ['span.end throws', () => ({ tracer: tracerThrowingIn('end', otelKit().tracer) })],
  ])('tracing: %s', async (_name, options) => {
    const server = await createTestServer({ 'GET /items': { json: [1] } });
    const response = await createFetch({ use: [tracing(options() as never), emitter] })(`${server.url}/items`);
    expect(await response.json()).toEqual([1]);
  });

  it('tracing: a failing call keeps its own error when recordException throws', async () => {
    const closed = await createTestServer();
    await closed.close();
    const tracer = tracerThrowingIn('recordException', otelKit().tracer);
    await expect(createFetch({ use: [tracing({ tracer })] })(`${closed.url}/x`)).rejects.toThrow('fetch failed');
  });

  it('logging and metrics: a throwing logger and route function', async () => {
    const server = await createTestServer({ 'GET /items': { json: [1] } });
    const stats = metrics({ route: boom });
    const client = createFetch({
      use: [logging({ logger: { info: boom, debug: boom }, level: 'debug' }), stats, emitter],
    });
    expect(await (await client(`${server.url}/items`)).json()).toEqual([1]);
    expect(stats.snapshot().calls).toBe(1);
  });
});

describe('an abort', () => {
  it('stops the call at once and every observer records it as aborted', async () => {
    const server = await createTestServer({ 'GET /slow': { delayMs: 5_000, json: {} } });
    const kit = otelKit();
    const records: LogRecord[] = [];
    const stats = metrics();
    const client = createFetch({
      use: [
        logging({ logger: { info: () => {}, error: (record) => void records.push(record) } }),
        stats,
        tracing({ tracer: kit.tracer, meter: kit.meter }),
      ],
    });
    const controller = new AbortController();
    const pending = client(`${server.url}/slow`, { signal: controller.signal });
    await waitUntil(() => server.requests.length === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    expect(records[0]).toMatchObject({ errorName: 'AbortError', attempts: 1 });
    expect(stats.snapshot().series[0]?.statusClass).toBe('error');
    const call = kit.spans().find((span) => span.kind === SpanKind.CLIENT);
    expect(call?.attributes['error.type']).toBe('AbortError');
    await waitUntil(() => server.requests[0]?.aborted === true);
  });
});

describe('tracing options', () => {
  it.each([
    [{ tracer: {} }, 'tracing.tracer'],
    [{ meter: 'meter' }, 'tracing.meter'],
    [{ propagator: { extract: () => {} } }, 'tracing.propagator'],
    [{ propagate: 'yes' }, 'tracing.propagate'],
    [{ redact: [1] }, 'tracing.redact.0'],
    [{ routes: [{ match: '/a', nam: 'x' }] }, 'tracing.routes.0.nam'],
    [{ routes: [{ match: '' }] }, 'tracing.routes'],
    [{ trace: true }, 'tracing.trace'],
  ])('refuses %o with a ConfigError naming %s', (options, option) => {
    expect(() => tracing(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
  });
});
