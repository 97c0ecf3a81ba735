import { createFakeClock, type FakeClock } from '@ferrule/core';
import { afterEach } from 'vitest';

/** What a contract suite hands to a store factory. */
export interface StoreContractEnv {
  /** A fake clock starting at 0: pass it to stores that take a clock. */
  clock: FakeClock;
  /** Moves time: the fake clock, or real time for stores that keep their own clock (Redis). */
  advance(ms: number): Promise<void>;
}

/** Options of the store contract suites. */
export interface StoreContractOptions<Store> {
  /**
   * `'fake'` when the store takes its time from `env.clock`; `'real'` when it keeps its own (Redis
   * expiry, Redis `TIME`): the suite then waits real time, with generous margins. @default 'fake'
   */
  time?: 'fake' | 'real';
  /** Runs after each test, e.g. to close a connection. */
  cleanup?: (store: Store) => void | Promise<void>;
}

export const createEnv = (time: 'fake' | 'real' = 'fake'): StoreContractEnv => {
  const clock = createFakeClock(0);
  return {
    clock,
    advance: (ms) => (time === 'fake' ? clock.advance(ms) : new Promise((resolve) => setTimeout(resolve, ms))),
  };
};

/**
 * Inside a contract suite's `describe`: a `setup()` that makes a fresh store and its env for a test,
 * and an `afterEach` that runs `cleanup` on the store the test made.
 */
export function storeSetup<Store>(
  factory: (env: StoreContractEnv) => Store | Promise<Store>,
  { time = 'fake', cleanup }: StoreContractOptions<Store>,
): () => Promise<{ env: StoreContractEnv; store: Store }> {
  let current: Store | undefined;
  afterEach(async () => {
    if (current !== undefined && cleanup) await cleanup(current);
    current = undefined;
  });
  return async () => {
    const env = createEnv(time);
    current = await factory(env);
    return { env, store: current };
  };
}

/** Polls `check` in real time until it holds or `maxRealMs` passes; returns whether it held. */
export const eventually = async (check: () => Promise<boolean>, maxRealMs = 3_000): Promise<boolean> => {
  const deadline = Date.now() + maxRealMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
