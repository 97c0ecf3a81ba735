import { createFakeClock, createFetch, type Middleware } from '@ferrule/core';
import { createTestServer, waitForSleepers } from '@ferrule/testing/vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { cacheLayer, rateLimitLayer, retryLayer, runToEnd } from '../test/layers.ts';
import { otelKit } from '../test/otel.ts';
import { tracing } from './tracing.ts';

const callSpan = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.CLIENT);
const attemptSpans = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.INTERNAL);
const durationMs = ({ startTime, endTime }: ReadableSpan) =>
  (endTime[0] - startTime[0]) * 1000 + (endTime[1] - startTime[1]) / 1e6;

describe('tracing', () => {
  it('makes a CLIENT span with the HTTP client conventions and a child span for the attempt', async () => {
    const server = await createTestServer({ 'GET /users/42': { json: { id: 42 } } });
    const kit = otelKit();
    const client = createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] });
    const response = await client(`${server.url}/users/42?page=1`);
    expect(await response.json()).toEqual({ id: 42 });

    const [call, ...others] = callSpan(kit.spans());
    expect(others).toEqual([]);
    expect(call?.name).toBe('GET');
    expect(call?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'url.full': `${server.url}/users/42?page=1`,
      'network.protocol.name': 'http',
      'http.response.status_code': 200,
    });
    expect(call?.status.code).toBe(SpanStatusCode.UNSET);
    const attempts = attemptSpans(kit.spans());
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(attempts[0]?.attributes).toEqual({ 'ferrule.attempt': 1, 'http.response.status_code': 200 });
  });

  it.each([
    [404, '404', SpanStatusCode.ERROR],
    [503, '503', SpanStatusCode.ERROR],
    [302, undefined, SpanStatusCode.UNSET],
  ])(
    'gives a %i answer error.type %s and span status %i, as the conventions ask of a client',
    async (status, errorType, code) => {
      const server = await createTestServer({ 'GET /x': { status, headers: { location: '/elsewhere' } } });
      const kit = otelKit();
      await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] })(`${server.url}/x`, {
        redirect: 'manual',
      });
      for (const span of kit.spans()) {
        expect(span.attributes['http.response.status_code']).toBe(status);
        expect(span.attributes['error.type']).toBe(errorType);
        expect(span.status.code).toBe(code);
      }
      expect(kit.spans()).toHaveLength(2);
    },
  );

  it('records a refused connection with its system code, and rethrows the error', async () => {
    const closed = await createTestServer();
    const url = `${closed.url}/gone`;
    await closed.close();
    const kit = otelKit();
    await expect(createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] })(url)).rejects.toThrow(
      'fetch failed',
    );
    const [call] = callSpan(kit.spans());
    expect(call?.attributes['error.type']).toBe('ECONNREFUSED');
    expect(call?.attributes).not.toHaveProperty('http.response.status_code');
    expect(call?.status.code).toBe(SpanStatusCode.ERROR);
    expect(call?.events.map((event) => [event.name, event.attributes?.['exception.type']])).toEqual([
      ['exception', 'TypeError'],
    ]);
    expect(attemptSpans(kit.spans())[0]?.attributes['error.type']).toBe('ECONNREFUSED');
  });

  it('makes one child span per attempt of a retried call, with resend_count 1 and 2', async () => {
    const server = await createTestServer({ 'GET /flaky': [{ status: 503 }, { status: 503 }, { json: { ok: true } }] });
    const kit = otelKit();
    const clock = createFakeClock(0);
    const client = createFetch({
      use: [tracing({ tracer: kit.tracer, meter: kit.meter }), retryLayer({ delayMs: 100 })],
      clock,
    });
    expect((await runToEnd(clock, client(`${server.url}/flaky`))).status).toBe(200);

    const attempts = attemptSpans(kit.spans());
    expect(attempts.map((span) => span.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    const [call] = callSpan(kit.spans());
    expect(call?.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 2 });
    expect(call?.attributes).not.toHaveProperty('error.type');
    expect(call?.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'ferrule.retry',
        {
          'ferrule.retry.attempt': 2,
          'ferrule.retry.delay_ms': 100,
          'ferrule.retry.reason': 'status',
          'ferrule.retry.status': 503,
        },
      ],
      [
        'ferrule.retry',
        {
          'ferrule.retry.attempt': 3,
          'ferrule.retry.delay_ms': 100,
          'ferrule.retry.reason': 'status',
          'ferrule.retry.status': 503,
        },
      ],
    ]);
    expect(call && durationMs(call)).toBe(200);
  });

  it('makes no attempt span for a cache hit, and records the hit as a span event', async () => {
    const server = await createTestServer({ 'GET /catalog': { json: ['a'] } });
    const kit = otelKit();
    const client = createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter }), cacheLayer()] });
    await (await client(`${server.url}/catalog`)).json();
    kit.exporter.reset();
    expect(await (await client(`${server.url}/catalog`)).json()).toEqual(['a']);

    expect(server.requests).toHaveLength(1);
    expect(attemptSpans(kit.spans())).toEqual([]);
    const [call] = callSpan(kit.spans());
    expect(call?.attributes['http.response.status_code']).toBe(200);
    expect(call?.events.map((event) => [event.name, event.attributes])).toEqual([
      ['ferrule.cache', { 'ferrule.cache.status': 'hit', 'ferrule.cache.age_ms': 0 }],
    ]);
  });

  it('shows a rate-limited wait: the attempt starts when the wait ends, inside the call span', async () => {
    const server = await createTestServer({ 'GET /limited': { json: {} } });
    const kit = otelKit();
    const startMs = Date.UTC(2030, 0, 1);
    const clock = createFakeClock(startMs);
    const client = createFetch({
      use: [tracing({ tracer: kit.tracer, meter: kit.meter }), rateLimitLayer({ waitMs: 250 })],
      clock,
    });
    const pending = client(`${server.url}/limited`);
    await waitForSleepers(clock);
    await clock.advance(249);
    expect(server.requests).toHaveLength(0);
    await clock.advance(1);
    await pending;

    const [call] = callSpan(kit.spans());
    const [attempt] = attemptSpans(kit.spans());
    expect(call?.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'ferrule.ratelimit',
        { 'ferrule.ratelimit.action': 'waited', 'ferrule.ratelimit.key': 'api', 'ferrule.ratelimit.wait_ms': 250 },
      ],
    ]);
    expect(call?.startTime).toEqual([startMs / 1000, 0]);
    expect(attempt?.startTime).toEqual([startMs / 1000, 250_000_000]);
    expect(call && durationMs(call)).toBe(250);
  });

  it('records http.client.request.duration in seconds with the conventions attributes', async () => {
    const server = await createTestServer({ 'GET /users/*': { json: {} } });
    const kit = otelKit();
    const clock = createFakeClock(0);
    const client = createFetch({
      use: [
        tracing({ tracer: kit.tracer, meter: kit.meter, routes: [{ match: 'GET /users/*', name: '/users/{id}' }] }),
        rateLimitLayer({ waitMs: 1_500 }),
      ],
      clock,
    });
    await runToEnd(clock, client(`${server.url}/users/1`));
    await runToEnd(clock, client(`${server.url}/users/2`));

    const metric = await kit.points('http.client.request.duration');
    expect(metric?.descriptor.unit).toBe('s');
    expect(metric?.dataPoints).toHaveLength(1);
    const [point] = metric?.dataPoints ?? [];
    expect(point?.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'network.protocol.name': 'http',
      'http.response.status_code': 200,
      'url.template': '/users/{id}',
    });
    expect(point?.value).toMatchObject({ count: 2, sum: 3, min: 1.5, max: 1.5 });
    expect(point?.value).toMatchObject({
      buckets: { boundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] },
    });
    expect(callSpan(kit.spans()).map((span) => span.name)).toEqual(['GET /users/{id}', 'GET /users/{id}']);
  });

  it('redacts url.full as the conventions ask: key-like and listed query values become REDACTED', async () => {
    const server = await createTestServer({ 'GET /files': { json: {} } });
    const kit = otelKit();
    const client = createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter, redact: ['tenant'] })] });
    await client(`${server.url}/files?sig=abc&api_key=k3y&tenant=acme&page=2`);
    await client(`${server.url}/files?X-Goog-Signature=abc&AWSAccessKeyId=A1&Signature=s&page=2#top`);
    const [first, second] = callSpan(kit.spans()).map((span) => span.attributes['url.full']);
    expect(first).toBe(`${server.url}/files?sig=REDACTED&api_key=REDACTED&tenant=REDACTED&page=2`);
    expect(second).toBe(
      `${server.url}/files?X-Goog-Signature=REDACTED&AWSAccessKeyId=REDACTED&Signature=REDACTED&page=2#top`,
    );
  });

  it('names an unknown method _OTHER and keeps the original', async () => {
    const server = await createTestServer({ '/x': { json: {} } });
    const kit = otelKit();
    await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter })] })(`${server.url}/x`, {
      method: 'PURGE',
    });
    const [call] = callSpan(kit.spans());
    expect(call?.name).toBe('HTTP');
    expect(call?.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
    });
  });

  it('records other events of the layers below as span events, URLs in them redacted', async () => {
    const kit = otelKit();
    const server = await createTestServer({ '/x': { json: {} } });
    const noisy: Middleware = async (request, context, next) => {
      context.emit({ type: 'circuit', key: 'https://api.test/?token=t0p', state: 'half-open', previous: 'open' });
      context.emit({ type: 'timeout', scope: 'attempt', timeoutMs: 500 });
      return next(request, context);
    };
    await createFetch({ use: [tracing({ tracer: kit.tracer, meter: kit.meter }), noisy] })(`${server.url}/x`);
    expect(callSpan(kit.spans())[0]?.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'ferrule.circuit',
        {
          'ferrule.circuit.key': 'https://api.test/?token=[REDACTED]',
          'ferrule.circuit.state': 'half-open',
          'ferrule.circuit.previous': 'open',
        },
      ],
      ['ferrule.timeout', { 'ferrule.timeout.scope': 'attempt', 'ferrule.timeout.timeout_ms': 500 }],
    ]);
  });
});
