import { describe, expect, it } from 'vitest';
import { faultPlan } from '../src/api/faults.ts';

const draws = (seed: number, chaos: number, keys: readonly string[]) => {
  const plan = faultPlan({ seed, chaos, slowHeadersMs: 2_500 });
  return keys.map((key) => plan.draw('GET', key)?.kind ?? 'none');
};
const KEYS = Array.from({ length: 2_000 }, (_, index) => `/products/${index % 500}`);

describe('the fault plan', () => {
  it('draws the same faults for the same seed, and others for another seed', () => {
    expect(draws(7, 0.2, KEYS)).toEqual(draws(7, 0.2, KEYS));
    expect(draws(8, 0.2, KEYS)).not.toEqual(draws(7, 0.2, KEYS));
  });

  it('gives a request the same fault whatever other requests came before it', () => {
    const alone = faultPlan({ seed: 7, chaos: 0.5, slowHeadersMs: 2_500 });
    const busy = faultPlan({ seed: 7, chaos: 0.5, slowHeadersMs: 2_500 });
    const others = Array.from({ length: 300 }, (_, index) => `/categories?page=${index}`);
    const sequence = (plan: typeof alone, interleave: readonly string[]) =>
      Array.from({ length: 20 }, () => {
        for (const key of interleave) plan.draw('GET', key);
        return plan.draw('GET', '/products/1')?.kind ?? 'none';
      });
    expect(sequence(busy, others)).toEqual(sequence(alone, []));
  });

  it('injects no fault at chaos 0', () => {
    expect(new Set(draws(7, 0, KEYS))).toEqual(new Set(['none']));
  });

  it('injects faults into about the chaos fraction of requests, of every kind', () => {
    const plan = faultPlan({ seed: 3, chaos: 0.1, slowHeadersMs: 2_500 });
    let faulted = 0;
    for (let index = 0; index < 20_000; index++) if (plan.draw('GET', `/products/${index}`)) faulted++;
    expect(faulted / 20_000).toBeGreaterThan(0.09);
    expect(faulted / 20_000).toBeLessThan(0.11);
    expect(Object.values(plan.stats).every((count) => count > 100)).toBe(true);
  });

  it('turns an answer into the fault', () => {
    const plan = faultPlan({ seed: 1, chaos: 1, slowHeadersMs: 2_500, chunkDelayMs: 10 });
    const answer = { json: { id: 1, name: 'Brass ferrule' }, headers: { etag: '"p1-v1"' } };
    expect(plan.inflict({ kind: '5xx', status: 502 }, answer)).toEqual({
      status: 502,
      json: { error: 'injected fault' },
    });
    expect(plan.inflict({ kind: 'reset', status: 500 }, answer)).toEqual({ reset: true });
    expect(plan.inflict({ kind: 'slow-headers', status: 500 }, answer)).toEqual({ ...answer, delayMs: 2_500 });
    const slow = plan.inflict({ kind: 'slow-body', status: 500 }, answer);
    expect(slow.chunks?.join('')).toBe(JSON.stringify(answer.json));
    expect(slow).toMatchObject({ chunkDelayMs: 10, headers: { 'content-type': 'application/json', etag: '"p1-v1"' } });
  });
});
