import { createFakeClock, createFetch } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { authLayer, cacheLayer, circuitLayer, rateLimitLayer, retryLayer, runToEnd } from '../test/layers.ts';
import { otelKit } from '../test/otel.ts';
import { logging } from './logging.ts';
import { metrics } from './metrics.ts';
import { tracing } from './tracing.ts';

// Every secret this run sends, in every place a secret travels.
const SECRETS = {
  bearerToken: 'tok_live_9f8e7d6c5b',
  apiKey: 'key_live_4c3b2a1908',
  callerQueryToken: 'caller_at_77aa66bb',
  callerBasic: 'YWRhOnMzY3JldC1wdw==',
  callerCookie: 'sess_55cc44dd33',
  tenantHeader: 'tenant_acme_x81',
  bodyPassword: 'pw_body_1357',
  bodyClientSecret: 'cs_body_2468',
  serverCookie: 'srv_cookie_31ee',
  serverRefreshToken: 'srv_rt_13ff',
};

// The circuit key below holds an API key on purpose: a careless layer's event must not carry it into
// observability's output either.
it('lets no secret of a full-stack run into a log record, metric, span, span event or metric point', async () => {
  const server = await createTestServer({
    'GET /orders/*': [{ status: 503 }, { json: { id: 1 } }],
    'POST /oauth/token': {
      json: { access_token: SECRETS.bearerToken, refresh_token: SECRETS.serverRefreshToken, expires_in: 60 },
      headers: { 'set-cookie': `sid=${SECRETS.serverCookie}; HttpOnly` },
    },
    'GET /denied': { status: 401, json: { error: 'invalid_token' } },
  });
  const closed = await createTestServer();
  await closed.close();

  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const kit = otelKit();
  const stats = metrics({ routes: [{ match: 'GET /orders/*', name: '/orders/:id' }] });
  const clock = createFakeClock(Date.UTC(2030, 0, 1));
  const client = createFetch({
    use: [
      logging({ logger, level: 'debug', headers: true, body: true, redact: ['x-tenant'] }),
      stats,
      tracing({ tracer: kit.tracer, meter: kit.meter, redact: ['x-tenant'] }),
      cacheLayer(),
      retryLayer({ delayMs: 50 }),
      circuitLayer({ key: `${server.url}/orders?api_key=${SECRETS.apiKey}`, threshold: 1 }),
      rateLimitLayer({ waitMs: 10 }),
      authLayer({ token: SECRETS.bearerToken, apiKey: SECRETS.apiKey }),
    ],
    clock,
  });
  const callerHeaders = {
    authorization: `Basic ${SECRETS.callerBasic}`,
    cookie: `session=${SECRETS.callerCookie}`,
    'x-tenant': SECRETS.tenantHeader,
  };
  const thrown: unknown[] = [];
  const run = async (input: string, init?: RequestInit) => {
    try {
      const response = await runToEnd(clock, client(input, init));
      await response.arrayBuffer();
    } catch (error) {
      thrown.push(error);
    }
  };

  await run(`${server.url}/orders/1?access_token=${SECRETS.callerQueryToken}`, { headers: callerHeaders });
  await run(`${server.url}/orders/1?access_token=${SECRETS.callerQueryToken}`, { headers: callerHeaders });
  await run(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { ...callerHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'password',
      password: SECRETS.bodyPassword,
      client_secret: SECRETS.bodyClientSecret,
    }),
  });
  await run(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_secret=${SECRETS.bodyClientSecret}`,
  });
  await run(`${server.url}/denied?token=${SECRETS.callerQueryToken}`, { headers: callerHeaders });
  await run(`${closed.url}/orders/2?api_key=${SECRETS.apiKey}`, { headers: callerHeaders });
  await expect.poll(() => lines.filter((line) => line.includes('"attempts"')).length).toBe(6);

  // The secrets did travel where they belong: the run is not vacuous.
  const wire = JSON.stringify(server.requests.map(({ url, headers }) => ({ url, headers })));
  for (const secret of [SECRETS.bearerToken, SECRETS.apiKey, SECRETS.callerQueryToken, SECRETS.callerCookie]) {
    expect(wire).toContain(secret);
  }
  expect(server.requests.some((request) => request.text().includes(SECRETS.bodyClientSecret))).toBe(true);
  expect(thrown).toHaveLength(1);

  const spans = kit.spans().map((span) => ({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    status: span.status,
  }));
  const metric = await kit.points('http.client.request.duration');
  const observed = {
    logs: lines,
    snapshot: stats.snapshot(),
    prometheus: stats.prometheus(),
    spans,
    metricPoints: metric?.dataPoints.map((point) => point.attributes),
    errors: thrown.map((error) => [String(error), String((error as Error).cause)]),
  };
  const everything = JSON.stringify(observed);
  // What was observed is rich: records with headers and bodies, spans with events.
  expect(lines.length).toBeGreaterThanOrEqual(13);
  expect(everything).toContain('[REDACTED]');
  expect(everything).toContain('ferrule.retry');
  expect(everything).toContain('requestBody');
  for (const [name, secret] of Object.entries(SECRETS)) {
    expect(everything.includes(secret), `${name} leaked`).toBe(false);
  }
});
