import { ConfigError, validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { matching } from './schemas.ts';

/** A {@link LatencyHistogram} as JSON: what one process sends another to merge. */
export interface LatencyHistogramJSON {
  relativeAccuracy: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Values too small for a logarithmic bucket (below 1 µs when recording ms). */
  zero: number;
  /** Count per logarithmic bucket index. */
  bins: Record<string, number>;
}

/** A mergeable latency histogram with bounded memory and a guaranteed relative error on quantiles. */
export interface LatencyHistogram {
  /** Adds one value (ms). Negative and NaN values count as 0; huge values land in the last bucket. */
  record(value: number): void;
  /** The value at quantile `q` (0…1), within `relativeAccuracy` of the true one; `NaN` when empty. */
  quantile(q: number): number;
  /** Adds another histogram (or its JSON) of the same `relativeAccuracy` into this one. */
  merge(other: LatencyHistogram | LatencyHistogramJSON): LatencyHistogram;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  toJSON(): LatencyHistogramJSON;
}

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const HistogramJSONSchema = v.object({
  relativeAccuracy: v.number(),
  count: Count,
  sum: v.number(),
  min: v.number(),
  max: v.number(),
  zero: Count,
  bins: v.record(matching(/^-?\d+$/, 'integer bucket indexes'), Count),
});

// Values below MIN go to the zero bucket; above MAX to the last bucket. With the default 1 %
// accuracy that is at most ~2,100 buckets, whatever the traffic.
const MIN = 1e-3;
const MAX = 1e9;

/**
 * A DDSketch-style histogram (Masson, Rim & Lee, "DDSketch: a fast and fully-mergeable quantile
 * sketch with relative-error guarantees", VLDB 2019): logarithmic buckets of ratio
 * γ = (1 + α) / (1 − α), so any quantile comes back within α of the true value, memory stays
 * bounded, and two sketches merge exactly by adding bucket counts.
 * @default relativeAccuracy 0.01
 * @example
 * const histogram = createLatencyHistogram();
 * for (const ms of [12, 15, 230]) histogram.record(ms);
 * histogram.quantile(0.5); // ≈ 15
 */
export function createLatencyHistogram({
  relativeAccuracy = 0.01,
}: {
  relativeAccuracy?: number;
} = {}): LatencyHistogram {
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new ConfigError('createLatencyHistogram.relativeAccuracy', 'a number between 0 and 1 (exclusive)');
  }
  const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
  const perLog = 1 / Math.log(gamma);
  const minIndex = Math.ceil(Math.log(MIN) * perLog);
  const maxIndex = Math.ceil(Math.log(MAX) * perLog);
  const bins = new Map<number, number>();
  let zero = 0;
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;

  const add = (index: number, n: number) => bins.set(index, (bins.get(index) ?? 0) + n);
  const histogram: LatencyHistogram = {
    record(value) {
      const ms = value > 0 ? Math.min(value, MAX) : 0;
      count++;
      sum += ms;
      if (ms < min) min = ms;
      if (ms > max) max = ms;
      if (ms < MIN) zero++;
      else add(Math.min(maxIndex, Math.ceil(Math.log(ms) * perLog)), 1);
    },
    quantile(q) {
      if (count === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
      const rank = q * (count - 1);
      let seen = zero;
      if (seen > rank) return min;
      for (const index of [...bins.keys()].sort((a, b) => a - b)) {
        seen += bins.get(index) as number;
        // The bucket's value that is within α of everything in (γ^(i−1), γ^i].
        if (seen > rank) return Math.min(max, Math.max(min, (2 * gamma ** index) / (gamma + 1)));
      }
      return max;
    },
    merge(other) {
      const json =
        typeof (other as LatencyHistogram | null)?.toJSON === 'function'
          ? (other as LatencyHistogram).toJSON()
          : validateOptions(HistogramJSONSchema, other, 'LatencyHistogram.merge');
      if (json.relativeAccuracy !== relativeAccuracy) {
        throw new ConfigError('LatencyHistogram.merge', `a histogram with relativeAccuracy ${relativeAccuracy}`);
      }
      for (const [index, n] of Object.entries(json.bins)) add(Math.min(maxIndex, Math.max(minIndex, Number(index))), n);
      zero += json.zero;
      count += json.count;
      sum += json.sum;
      if (json.count > 0) {
        min = Math.min(min, json.min);
        max = Math.max(max, json.max);
      }
      return histogram;
    },
    get count() {
      return count;
    },
    get sum() {
      return sum;
    },
    get min() {
      return count ? min : Number.NaN;
    },
    get max() {
      return count ? max : Number.NaN;
    },
    toJSON: () => ({
      relativeAccuracy,
      count,
      sum,
      min: count ? min : 0,
      max: count ? max : 0,
      zero,
      bins: Object.fromEntries(bins),
    }),
  };
  return histogram;
}
