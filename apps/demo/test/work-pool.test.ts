import { describe, expect, it } from 'vitest';
import { workPool } from '../src/work-pool.ts';

// Work that finishes when the test says so.
function gatedWork() {
  const gates = new Map<number, () => void>();
  let active = 0;
  let mostActive = 0;
  const work = (item: number) =>
    new Promise<void>((resolve) => {
      active++;
      mostActive = Math.max(mostActive, active);
      gates.set(item, () => {
        active--;
        resolve();
      });
    });
  return { work, gates, mostActive: () => mostActive };
}

describe('the work pool', () => {
  it('runs at most `concurrency` items at once, in order of arrival', async () => {
    const { work, gates, mostActive } = gatedWork();
    const pool = workPool(2, work);
    for (const item of [1, 2, 3, 4]) pool.add(item);
    expect([...gates.keys()]).toEqual([1, 2]);
    gates.get(1)?.();
    await Promise.resolve();
    await Promise.resolve();
    expect([...gates.keys()]).toEqual([1, 2, 3]);
    for (const item of [2, 3]) gates.get(item)?.();
    await new Promise((resolve) => setImmediate(resolve));
    gates.get(4)?.();
    await pool.drain();
    expect(mostActive()).toBe(2);
  });

  it('drains only once items added while draining are done too', async () => {
    const { work, gates } = gatedWork();
    const pool = workPool(4, work);
    pool.add(1);
    let drained = false;
    const draining = pool.drain().then(() => {
      drained = true;
    });
    pool.add(2);
    gates.get(1)?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    gates.get(2)?.();
    await draining;
    expect(drained).toBe(true);
  });

  it('drains at once when nothing was added', async () => {
    await expect(workPool(2, async () => {}).drain()).resolves.toBeUndefined();
  });

  it('rejects the drain with the error of work that threw, and starts nothing more', async () => {
    const started: number[] = [];
    const pool = workPool(1, async (item: number) => {
      started.push(item);
      if (item === 1) throw new Error('work failed');
    });
    pool.add(1);
    pool.add(2);
    await expect(pool.drain()).rejects.toThrow('work failed');
    expect(started).toEqual([1]);
  });
});
