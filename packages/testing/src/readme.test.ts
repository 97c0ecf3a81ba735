import { createFetch, type Middleware } from '@ferrule/core';
import { expect, it } from 'vitest';
import { createTestServer } from './vitest.ts';

// A stand-in for a retry middleware, so the README example runs without another package.
const myRetry = (): Middleware =>
  async function retry(request, context, next) {
    for (let attempt = 1; ; attempt++) {
      const response = await next(request, { ...context, attempt });
      if (response.status < 500 || attempt === 3) return response;
      await response.body?.cancel();
    }
  };

it('runs the README example: a flaky endpoint answered on the third attempt', async () => {
  const server = await createTestServer({
    'GET /flaky': [{ status: 503 }, { status: 503 }, { json: { ok: true } }],
  });
  const fetch = createFetch({ use: [myRetry()] });
  const response = await fetch(`${server.url}/flaky`);
  expect(await response.json()).toEqual({ ok: true });
  expect(server.requestsTo('GET /flaky')).toHaveLength(3);
});
