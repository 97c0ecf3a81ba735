// Runs every README example against a local test server, so they never rot. Each block is the
// README's code; the only changes are marked: the API URL points at the test server, and output
// goes where the test can read it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFetch } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePrometheus } from '../test/parse-prometheus.ts';
import { createLatencyHistogram, logging, type MetricsSnapshot, metrics } from './index.ts';
import { tracing } from './otel.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README', () => {
  it('runs the example: logging, metrics and tracing over plain fetch', async () => {
    const server = await createTestServer({ 'GET /users/42': { json: { id: 42 } } });
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const printed = vi.spyOn(console, 'log').mockImplementation(() => {});

    // --- README example ---
    const stats = metrics({ routes: [{ match: 'GET /users/*', name: '/users/:id' }] });
    const fetch = createFetch({ use: [logging(), stats, tracing()] });

    const response = await fetch(`${server.url}/users/42?api_key=s3cr3t`); // (URL: the test server)
    console.log(stats.snapshot().series[0]?.latency.p99Ms);
    // --- end ---

    expect(await response.json()).toEqual({ id: 42 });
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0]?.[1]).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/users\/42\?api_key=\[REDACTED\] 200 in \d+ ms$/,
    );
    expect(printed.mock.calls[0]?.[0]).toBeTypeOf('number');
  });

  it('runs the pino example', async () => {
    const server = await createTestServer({ 'GET /orders': { json: [] } });
    const lines: Record<string, unknown>[] = [];
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };

    // --- README example (pino writes to `destination` instead of stdout) ---
    const logger = pino({ level: 'debug' }, destination);
    const fetch = createFetch({ use: [logging({ logger, level: 'debug', headers: true, redact: ['x-tenant-id'] })] });

    await fetch(`${server.url}/orders?api_key=s3cr3t`, { headers: { 'x-tenant-id': 'acme' } });
    // --- end ---

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 20, attempt: 1, status: 200 });
    expect(lines[1]).toMatchObject({
      level: 30,
      status: 200,
      attempts: 1,
      requestHeaders: { 'x-tenant-id': '[REDACTED]' },
    });
    expect(JSON.stringify(lines)).not.toMatch(/s3cr3t|acme/);
  });

  it('runs the Prometheus example and the exposition parses back', async () => {
    const api = await createTestServer({ 'GET /users/*': { json: {} } });

    // --- README example (port 0 instead of 9464) ---
    const stats = metrics({ routes: [{ match: 'GET /users/*', name: '/users/:id' }] });
    const fetch = createFetch({ use: [stats] });

    const metricsServer = createServer((request, response) => {
      if (request.url !== '/metrics') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(stats.prometheus());
    }).listen(0, '127.0.0.1');
    // --- end ---

    try {
      await new Promise((resolve) => metricsServer.once('listening', resolve));
      for (const id of [1, 2, 3]) await (await fetch(`${api.url}/users/${id}`)).arrayBuffer();
      const { port } = metricsServer.address() as AddressInfo;
      const scraped = await globalThis.fetch(`http://127.0.0.1:${port}/metrics`);
      expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4');
      const calls = parsePrometheus(await scraped.text()).get('ferrule_http_client_calls_total');
      expect(calls?.samples).toEqual([
        {
          name: 'ferrule_http_client_calls_total',
          labels: { route: '/users/:id', method: 'GET', status_class: '2xx' },
          value: 3,
        },
      ]);
      expect((await globalThis.fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      metricsServer.closeAllConnections();
      await new Promise((resolve) => metricsServer.close(resolve));
    }
  });

  it('runs the fleet percentile example', async () => {
    const api = await createTestServer({ 'GET /x': { json: {} } });
    const snapshots: MetricsSnapshot[] = [];
    for (let process = 0; process < 3; process++) {
      const stats = metrics();
      await createFetch({ use: [stats] })(`${api.url}/x`);
      snapshots.push(JSON.parse(JSON.stringify(stats.snapshot())));
    }

    // --- README example ---
    function fleetP99(snapshots: MetricsSnapshot[]): number {
      const fleet = createLatencyHistogram();
      for (const snapshot of snapshots) for (const series of snapshot.series) fleet.merge(series.latency.histogram);
      return fleet.quantile(0.99);
    }
    // --- end ---

    const slowest = Math.max(...snapshots.map((snapshot) => snapshot.latency.maxMs));
    expect(fleetP99(snapshots)).toBeLessThanOrEqual(slowest);
    const fleet = createLatencyHistogram();
    for (const snapshot of snapshots) fleet.merge(snapshot.series[0]?.latency.histogram as never);
    expect(fleet.count).toBe(3);
  });

  it('runs the OpenTelemetry example', async () => {
    const server = await createTestServer({ 'GET /products/7': { json: { id: 7 } } });
    const spans = new InMemorySpanExporter();
    const measurements = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);

    // --- README example (in-memory exporters instead of the console ones) ---
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const meterProvider = new MeterProvider({
      readers: [new PeriodicExportingMetricReader({ exporter: measurements })],
    });

    const fetch = createFetch({
      use: [
        tracing({
          tracer: tracerProvider.getTracer('inventory-sync'),
          meter: meterProvider.getMeter('inventory-sync'),
          routes: [{ match: 'GET /products/*', name: '/products/{id}' }],
        }),
      ],
    });
    await fetch(`${server.url}/products/7`);
    // --- end ---

    await meterProvider.forceFlush();
    await meterProvider.shutdown();
    const names = spans.getFinishedSpans().map((span) => span.name);
    expect(names.sort()).toEqual(['GET /products/{id}', 'GET /products/{id} attempt']);
    const call = spans.getFinishedSpans().find((span) => span.name === 'GET /products/{id}');
    expect(server.requests[0]?.headers.traceparent).toBe(
      `00-${call?.spanContext().traceId}-${call?.spanContext().spanId}-01`,
    );
    const exported = measurements
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    expect(exported.map((metric) => metric.descriptor.name)).toContain('http.client.request.duration');
  });
});
