/** Two counters over a window of time that slides in steps of one slot. */
export interface SlidingWindow {
  /** Adds one to counter `which` at `nowMs`. */
  add(nowMs: number, which: 0 | 1): void;
  /** Counter `which` summed over the window that ends at `nowMs`. */
  total(nowMs: number, which: 0 | 1): number;
}

/**
 * Counts events in up to `slots` slots of `slotMs` each: a slot that fell out of the window is
 * dropped, however long the pause was. A clock that goes back counts in the newest slot.
 */
export function slidingWindow(slots: number, slotMs: number): SlidingWindow {
  const live: { slot: number; counts: [number, number] }[] = [];
  const drop = (nowMs: number) => {
    const slot = Math.floor(nowMs / slotMs);
    while (live[0] && live[0].slot <= slot - slots) live.shift();
    return slot;
  };
  return {
    add(nowMs, which) {
      const slot = drop(nowMs);
      let last = live.at(-1);
      if (!last || last.slot < slot) {
        last = { slot, counts: [0, 0] };
        live.push(last);
      }
      last.counts[which]++;
    },
    total(nowMs, which) {
      drop(nowMs);
      let sum = 0;
      for (const { counts } of live) sum += counts[which];
      return sum;
    },
  };
}
