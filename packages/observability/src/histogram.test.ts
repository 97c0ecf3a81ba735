import { isConfigError } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, type LatencyHistogramJSON } from './histogram.ts';

// A seeded generator (mulberry32), so the "known distribution" is the same on every run.
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The exact quantile with the same rank rule as the sketch: the value at rank ⌊q·(n−1)⌋ of the sorted data.
const exact = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;

describe('createLatencyHistogram', () => {
  it('gives p50, p95 and p99 of 1…10,000 ms within 1 %', () => {
    const histogram = createLatencyHistogram();
    for (let ms = 1; ms <= 10_000; ms++) histogram.record(ms);
    expect(Math.abs(histogram.quantile(0.5) - 5_000) / 5_000).toBeLessThanOrEqual(0.01);
    expect(Math.abs(histogram.quantile(0.95) - 9_500) / 9_500).toBeLessThanOrEqual(0.01);
    expect(Math.abs(histogram.quantile(0.99) - 9_900) / 9_900).toBeLessThanOrEqual(0.01);
    expect(histogram.count).toBe(10_000);
    expect(histogram.sum).toBe(50_005_000);
    expect([histogram.min, histogram.max]).toEqual([1, 10_000]);
  });

  it('keeps every quantile of a log-normal latency distribution within the relative accuracy', () => {
    const random = seeded(42);
    const values: number[] = [];
    const histogram = createLatencyHistogram({ relativeAccuracy: 0.02 });
    for (let index = 0; index < 20_000; index++) {
      // Box–Muller: a median of ~50 ms with a long tail, like real API latencies.
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const ms = Math.exp(Math.log(50) + 0.8 * normal);
      values.push(ms);
      histogram.record(ms);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
      const truth = exact(values, q);
      expect(Math.abs(histogram.quantile(q) - truth) / truth).toBeLessThanOrEqual(0.02);
    }
  });

  it('stays bounded in memory whatever the traffic', () => {
    const random = seeded(7);
    const histogram = createLatencyHistogram();
    // A million values spread over 15 orders of magnitude, and some absurd ones.
    for (let index = 0; index < 1_000_000; index++) histogram.record(10 ** (random() * 15 - 4));
    for (const value of [Number.MAX_VALUE, Infinity, 1e300]) histogram.record(value);
    const bins = Object.keys(histogram.toJSON().bins).length;
    expect(bins).toBeLessThanOrEqual(1_400);
    expect(histogram.count).toBe(1_000_003);
    expect(Number.isFinite(histogram.sum)).toBe(true);
  });

  it('merges exactly: two halves give the quantiles of the whole', () => {
    const whole = createLatencyHistogram();
    const left = createLatencyHistogram();
    const right = createLatencyHistogram();
    for (let ms = 1; ms <= 5_000; ms++) {
      whole.record(ms);
      (ms % 2 ? left : right).record(ms);
    }
    left.merge(right);
    expect(left.toJSON()).toEqual(whole.toJSON());
    for (const q of [0, 0.5, 0.95, 0.99, 1]) expect(left.quantile(q)).toBe(whole.quantile(q));
  });

  it('merges the JSON of another process', () => {
    const other = createLatencyHistogram();
    for (const ms of [10, 20, 30]) other.record(ms);
    const json = JSON.parse(JSON.stringify(other)) as LatencyHistogramJSON;
    const mine = createLatencyHistogram();
    mine.record(40);
    mine.merge(json);
    expect(mine.count).toBe(4);
    expect([mine.min, mine.max, mine.sum]).toEqual([10, 40, 100]);
    expect(Math.abs(mine.quantile(0.5) - 20) / 20).toBeLessThanOrEqual(0.01);
  });

  it('counts zero, negative and NaN durations as 0 ms', () => {
    const histogram = createLatencyHistogram();
    for (const value of [0, -5, Number.NaN, 0.0000001]) histogram.record(value);
    histogram.record(100);
    expect(histogram.count).toBe(5);
    expect(histogram.quantile(0.5)).toBe(0);
    expect(histogram.min).toBe(0);
    expect(histogram.quantile(1)).toBe(100);
    expect(histogram.toJSON().zero).toBe(4);
  });

  it('answers NaN for an empty histogram or a quantile outside 0…1', () => {
    const histogram = createLatencyHistogram();
    expect(histogram.quantile(0.5)).toBeNaN();
    expect(histogram.min).toBeNaN();
    histogram.record(5);
    expect(histogram.quantile(1.5)).toBeNaN();
    expect(histogram.quantile(Number.NaN)).toBeNaN();
  });

  it('refuses a relative accuracy outside (0, 1) with a ConfigError', () => {
    for (const relativeAccuracy of [0, 1, -0.1, Number.NaN]) {
      expect(() => createLatencyHistogram({ relativeAccuracy })).toThrow(
        expect.objectContaining({ code: 'CONFIG', option: 'createLatencyHistogram.relativeAccuracy' }),
      );
    }
  });

  it('refuses to merge a histogram of another accuracy, and leaves itself unchanged', () => {
    const mine = createLatencyHistogram();
    mine.record(10);
    const before = mine.toJSON();
    let caught: unknown;
    try {
      mine.merge(createLatencyHistogram({ relativeAccuracy: 0.05 }));
    } catch (error) {
      caught = error;
    }
    expect(isConfigError(caught)).toBe(true);
    expect(mine.toJSON()).toEqual(before);
  });

  it('refuses malformed JSON with a ConfigError naming the field', () => {
    const mine = createLatencyHistogram();
    const good = mine.toJSON();
    const hostile: unknown[] = [
      null,
      'bins',
      { ...good, bins: { abc: 1 } },
      { ...good, bins: { 5: -3 } },
      { ...good, count: 1.5 },
      { ...good, zero: undefined },
    ];
    for (const json of hostile) {
      expect(() => mine.merge(json as LatencyHistogramJSON)).toThrow(
        expect.objectContaining({ code: 'CONFIG', option: expect.stringMatching(/^LatencyHistogram\.merge/) }),
      );
    }
    expect(mine.toJSON()).toEqual(good);
  });

  it('keeps a merged JSON with far-out bucket indexes within its bounds', () => {
    const mine = createLatencyHistogram();
    const bins: Record<string, number> = {};
    for (let index = 0; index < 5_000; index++) bins[String(10_000 + index)] = 1;
    mine.merge({ relativeAccuracy: 0.01, count: 5_000, sum: 1, min: 1, max: 1e9, zero: 0, bins });
    expect(Object.keys(mine.toJSON().bins)).toHaveLength(1);
  });
});
