import { createFakeClock, createFetch, type Middleware } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { cacheLayer, rateLimitLayer, recordingFetch, retryLayer, runToEnd } from '../test/layers.ts';
import { parsePrometheus } from '../test/parse-prometheus.ts';
import { metrics } from './metrics.ts';

const API = 'https://api.example.test';

async function busyMetrics(namespace?: string) {
  const stats = metrics({
    routes: [{ match: 'GET /users/*', name: '/users/:id' }],
    ...(namespace && { namespace }),
  });
  const clock = createFakeClock(0);
  let count = 0;
  const { fetch } = recordingFetch(async (request) => {
    await clock.advance(request.url.includes('slow') ? 1_500 : 20);
    return new Response('{}', { status: request.url.includes('flaky') && ++count === 1 ? 503 : 200 });
  });
  const circuit: Middleware = async (request, context, next) => {
    if (request.url.includes('flaky'))
      context.emit({ type: 'circuit', key: 'users', state: 'half-open', previous: 'open' });
    return next(request, context);
  };
  const client = createFetch({
    use: [stats, cacheLayer(), retryLayer({ delayMs: 100 }), circuit, rateLimitLayer({ waitMs: 250 })],
    fetch,
    clock,
  });
  await runToEnd(clock, client(`${API}/users/1`));
  await runToEnd(clock, client(`${API}/users/1`));
  await runToEnd(clock, client(`${API}/users/slow`));
  await runToEnd(clock, client(`${API}/users/flaky`));
  return stats;
}

describe('metrics().prometheus()', () => {
  it('parses back into the same numbers as the snapshot, durations in seconds', async () => {
    const stats = await busyMetrics();
    const families = parsePrometheus(stats.prometheus());
    const snapshot = stats.snapshot();
    const series = snapshot.series[0];
    expect(snapshot.series).toHaveLength(1);
    if (!series) throw new Error('no series');
    const labels = { route: '/users/:id', method: 'GET', status_class: '2xx' };

    const calls = families.get('ferrule_http_client_calls_total');
    expect(calls?.type).toBe('counter');
    expect(calls?.samples).toEqual([{ name: 'ferrule_http_client_calls_total', labels, value: 4 }]);

    const duration = families.get('ferrule_http_client_call_duration_seconds');
    expect(duration?.type).toBe('summary');
    const byName = (name: string, quantile?: string) =>
      duration?.samples.find((sample) => sample.name === name && sample.labels.quantile === quantile)?.value;
    expect(byName('ferrule_http_client_call_duration_seconds', '0.5')).toBeCloseTo(series.latency.p50Ms / 1000, 9);
    expect(byName('ferrule_http_client_call_duration_seconds', '0.99')).toBeCloseTo(series.latency.p99Ms / 1000, 9);
    expect(byName('ferrule_http_client_call_duration_seconds_sum')).toBeCloseTo(series.latency.sumMs / 1000, 9);
    expect(byName('ferrule_http_client_call_duration_seconds_count')).toBe(4);

    const value = (family: string, extra: Record<string, string> = {}) =>
      families.get(family)?.samples.find((sample) => Object.entries(extra).every(([k, v]) => sample.labels[k] === v))
        ?.value;
    expect(value('ferrule_http_client_attempts_total')).toBe(4);
    expect(value('ferrule_http_client_rate_limit_wait_seconds_total')).toBe(1);
    expect(value('ferrule_http_client_cache_total', { cache_status: 'hit' })).toBe(1);
    expect(value('ferrule_http_client_cache_total', { cache_status: 'miss' })).toBe(3);
    expect(value('ferrule_http_client_events_total', { event: 'retry' })).toBe(1);
    expect(value('ferrule_http_client_circuit_state', { circuit: 'users', state: 'half-open' })).toBe(1);
    expect(value('ferrule_http_client_circuit_state', { circuit: 'users', state: 'open' })).toBe(0);
    expect(value('ferrule_http_client_circuit_transitions_total', { circuit: 'users' })).toBe(2);
  });

  it('declares every family once with HELP and TYPE, under the namespace asked for', async () => {
    const text = (await busyMetrics('shop')).prometheus();
    const families = parsePrometheus(text);
    expect([...families.keys()]).toEqual([
      'shop_http_client_calls_total',
      'shop_http_client_call_duration_seconds',
      'shop_http_client_attempts_total',
      'shop_http_client_rate_limit_wait_seconds_total',
      'shop_http_client_cache_total',
      'shop_http_client_events_total',
      'shop_http_client_circuit_state',
      'shop_http_client_circuit_transitions_total',
    ]);
    for (const family of families.values()) expect(family.help).not.toBe('');
  });

  it('escapes quotes, backslashes and line feeds in label values so they read back unchanged', async () => {
    const route = 'C:\\temp "quoted"\nnext line';
    const stats = metrics({ route: () => route });
    await createFetch({ use: [stats], fetch: recordingFetch().fetch })(`${API}/x`);
    const text = stats.prometheus();
    expect(text.split('\n').every((line) => !line.includes('next line') || line.includes('\\nnext line'))).toBe(true);
    const sample = parsePrometheus(text).get('ferrule_http_client_calls_total')?.samples[0];
    expect(sample?.labels.route).toBe(route);
  });

  it('exposes families without samples before the first call', () => {
    const families = parsePrometheus(metrics().prometheus());
    expect(families.size).toBe(8);
    for (const family of families.values()) expect(family.samples).toEqual([]);
  });
});
