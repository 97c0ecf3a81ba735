import { resilience } from '@ferrule/resilience';
import { describe, expect, it } from 'vitest';
import { faultPlan } from '../src/api/faults.ts';
import { patch, productOf, signingFetch, startApi } from './helpers.ts';

describe('the API applies each idempotency key once', () => {
  it('answers a repeated key with the stored answer and applies nothing more', async () => {
    const api = await startApi();
    const fetch = signingFetch(api);
    const first = await patch(fetch, api, 3, 1_000, 'key-1');
    const again = await patch(fetch, api, 3, 1_000, 'key-1');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(productOf(api, 3)).toMatchObject({ priceCents: 1_000, version: 2 });
    expect(api.stats().writes).toEqual({ applied: 1, replayed: 1, refused: 0 });
  });

  it('refuses a key used again for another body with 422', async () => {
    const api = await startApi();
    const fetch = signingFetch(api);
    await patch(fetch, api, 3, 1_000, 'key-1');
    const reused = await patch(fetch, api, 3, 2_000, 'key-1');
    expect(reused.status).toBe(422);
    expect(productOf(api, 3)).toMatchObject({ priceCents: 1_000, version: 2 });
  });

  it('refuses a write without an Idempotency-Key with 400', async () => {
    const api = await startApi();
    const response = await signingFetch(api)(`${api.url}/products/3`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"priceCents":5}',
    });
    expect(response.status).toBe(400);
    expect(productOf(api, 3)?.version).toBe(1);
  });

  it('refuses a write based on a stale ETag with 412', async () => {
    const api = await startApi();
    const fetch = signingFetch(api);
    const stale = await fetch(`${api.url}/products/4`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'idempotency-key': '"k"', 'if-match': '"p4-v0"' },
      body: '{"stock":1}',
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"p4-v1"');
    expect(productOf(api, 4)?.version).toBe(1);
  });

  it('applies a write once when its answer is lost and the client retries it with the same key', async () => {
    // A seed under which the first PATCH of product 1 loses its answer after the write, and the retry does not.
    const chaos = 0.5;
    const lostThenClean = (seed: number) => {
      const plan = faultPlan({ seed, chaos, slowHeadersMs: 2_500 });
      return plan.draw('PATCH', '/products/1')?.kind === 'reset' && plan.draw('PATCH', '/products/1') === undefined;
    };
    const seed = Array.from({ length: 1_000 }, (_, index) => index).find(lostThenClean) as number;
    const api = await startApi({ seed, chaos });
    const fetch = signingFetch(api, { before: [resilience({ idempotencyKey: true, circuitBreaker: false })] });
    const response = await fetch(`${api.url}/products/1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"priceCents":777}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    expect(productOf(api, 1)).toMatchObject({ priceCents: 777, version: 2 });
    expect(api.stats()).toMatchObject({ writes: { applied: 1, replayed: 1 }, faults: { reset: 1 } });
  });
});
