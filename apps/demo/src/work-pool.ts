/** A pool that runs work on items as they are added, at most `concurrency` at a time. */
export interface WorkPool<Item> {
  add(item: Item): void;
  /** Resolves once every item added so far, and any added meanwhile, is done. */
  drain(): Promise<void>;
}

/**
 * Runs `work` on each item added, `concurrency` at a time, in order of arrival. `work` must handle
 * its own errors: one that throws anyway rejects `drain`.
 * @example
 * const pool = workPool(16, async (id: number) => fetchProduct(id));
 * for (const id of ids) pool.add(id);
 * await pool.drain();
 */
export function workPool<Item>(concurrency: number, work: (item: Item) => Promise<void>): WorkPool<Item> {
  const queue: Item[] = [];
  let active = 0;
  let failure: { error: unknown } | undefined;
  let idle: PromiseWithResolvers<void> | undefined;

  const settle = () => {
    if (!idle || active > 0 || (queue.length > 0 && !failure)) return;
    if (failure) idle.reject(failure.error);
    else idle.resolve();
    idle = undefined;
  };
  const pump = () => {
    while (active < concurrency && queue.length > 0 && !failure) {
      const item = queue.shift() as Item;
      active++;
      work(item)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          active--;
          pump();
          settle();
        });
    }
  };
  return {
    add(item) {
      queue.push(item);
      pump();
    },
    drain() {
      idle ??= Promise.withResolvers<void>();
      const drained = idle.promise;
      settle();
      return drained;
    },
  };
}
