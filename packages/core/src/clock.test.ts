import { describe, expect, it } from 'vitest';
import { createFakeClock, systemClock } from './clock.ts';

describe('systemClock', () => {
  it('rejects a sleep with the abort reason at once and clears its timer', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
  });

  it('rejects a sleep on an already aborted signal', async () => {
    await expect(systemClock.sleep(10, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('resolves a zero sleep', async () => {
    await expect(systemClock.sleep(0)).resolves.toBeUndefined();
  });
});

describe('createFakeClock', () => {
  it('wakes a sleeper exactly at its due time, not a millisecond before', async () => {
    const clock = createFakeClock(1_000);
    let woke = false;
    const sleeping = clock.sleep(100).then(() => {
      woke = true;
    });
    await clock.advance(99);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(1_099);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('wakes sleepers in order of due time, then of arrival, with the clock at each due time', async () => {
    const clock = createFakeClock(0);
    const woken: string[] = [];
    const sleep = (name: string, ms: number) =>
      clock.sleep(ms).then(() => {
        woken.push(`${name}@${clock.now()}`);
      });
    const all = Promise.all([sleep('c', 30), sleep('a', 10), sleep('b', 10)]);
    await clock.advance(50);
    await all;
    expect(woken).toEqual(['a@10', 'b@10', 'c@30']);
  });

  it('wakes a sleeper that another sleeper started, when it falls within the advance', async () => {
    const clock = createFakeClock(0);
    const times: number[] = [];
    const chain = clock.sleep(10).then(async () => {
      times.push(clock.now());
      await clock.sleep(10);
      times.push(clock.now());
    });
    await clock.advance(25);
    await chain;
    expect(times).toEqual([10, 20]);
    expect(clock.now()).toBe(25);
  });

  it('removes an aborted sleeper and rejects it with the reason', async () => {
    const clock = createFakeClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    expect(clock.pending).toBe(1);
    controller.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    expect(clock.pending).toBe(0);
  });

  it('next() jumps to the next sleeper, and says false when nobody sleeps', async () => {
    const clock = createFakeClock(0);
    const sleeping = clock.sleep(250);
    expect(await clock.next()).toBe(true);
    await sleeping;
    expect(clock.now()).toBe(250);
    expect(await clock.next()).toBe(false);
  });
});
