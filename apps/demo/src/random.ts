import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A stream of seeded random numbers: the same seed and key give the same numbers on every run. */
export interface Random {
  /** A number in [0, 1). */
  float(): number;
  /** An integer in [from, to], both included. */
  int(from: number, to: number): number;
  /** One element of a non-empty list. */
  pick<Item>(list: readonly Item[]): Item;
}

// FNV-1a (32 bits): spreads a key such as `GET /products/7#2` over the seed space.
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}

/**
 * A random stream for `seed`, or for one `key` under it. Keyed streams do not depend on the order in
 * which keys are asked for, so the faults a request meets stay the same however concurrent calls
 * interleave.
 * @example
 * seeded(42, 'GET /products/7#1').float(); // the same number on every run
 */
export function seeded(seed: number, key = ''): Random {
  const generator = xoroshiro128plus(hash(`${seed}:${key}`) ^ seed);
  return {
    float: () => uniformFloat64(generator),
    int: (from, to) => uniformInt(generator, from, to),
    pick: (list) => list[uniformInt(generator, 0, list.length - 1)] as (typeof list)[number],
  };
}
