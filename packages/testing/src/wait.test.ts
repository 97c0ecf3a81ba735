import { createFakeClock } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { waitForSleepers, waitUntil } from './wait.ts';

describe('waitUntil', () => {
  it('resolves once the predicate holds', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 5);
    await waitUntil(() => ready);
    expect(ready).toBe(true);
  });

  it('rejects after its real-time guard with the message', async () => {
    await expect(waitUntil(() => false, { maxRealMs: 20, message: 'never ready' })).rejects.toThrow(
      'never ready after 20 ms',
    );
  });
});

describe('waitForSleepers', () => {
  it('resolves once code sleeps on the fake clock', async () => {
    const clock = createFakeClock();
    setTimeout(() => void clock.sleep(100), 5);
    await waitForSleepers(clock);
    expect(clock.pending).toBe(1);
  });
});
