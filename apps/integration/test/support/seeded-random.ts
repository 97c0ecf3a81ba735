/**
 * mulberry32 (Tommy Ettinger's public-domain 32-bit generator): a small, fast PRNG whose sequence is fixed
 * by its seed, so a chaos run can be replayed exactly.
 * @example
 * const random = seededRandom(42);
 * random(); // 0.6011037519201636, every time
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A number in [0, 1) fixed by the seed and the parts (a call number, an attempt number), whatever order
 * the calls arrive in: the same call's same attempt always meets the same fault.
 * @example
 * draw(42, 17, 2) === draw(42, 17, 2); // true
 */
export function draw(seed: number, ...parts: number[]): number {
  let hash = seed >>> 0;
  for (const part of parts) hash = Math.imul(hash ^ (part >>> 0), 0x9e3779b1) ^ (hash >>> 16);
  return seededRandom(hash)();
}
