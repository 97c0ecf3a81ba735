import { abortable, type Context } from '@ferrule/core';

/** A credential header that is good until `refreshAtMs` (epoch ms on the context's clock). */
export interface Lease {
  header: string;
  refreshAtMs: number;
}

/** The point to refresh a credential that expires at `expiresAtMs`: `skewMs` early, at most half its life. */
export const refreshAt = (expiresAtMs: number | undefined, nowMs: number, skewMs: number): number =>
  expiresAtMs === undefined ? Infinity : expiresAtMs - Math.min(skewMs, (expiresAtMs - nowMs) / 2);

/**
 * Keeps one credential and obtains a new one single-flight: however many calls find it missing or
 * due, `obtain` runs once and every caller gets its result — or the same error. A header that a
 * server rejected is handed to `obtain`, so it does not take the same one back from a store.
 */
export function createLease(obtain: (context: Context, rejected: string | undefined) => Promise<Lease>) {
  let current: Lease | undefined;
  let pending: Promise<Lease> | undefined;
  let rejected: string | undefined;
  return {
    get(context: Context): Lease | Promise<Lease> {
      if (current && context.clock.now() < current.refreshAtMs) return current;
      pending ??= obtain(context, rejected)
        .then((lease) => {
          rejected = undefined;
          current = lease;
          return lease;
        })
        .finally(() => {
          pending = undefined;
        });
      return abortable(pending, context.signal);
    },
    reject(header: string | null): void {
      if (current && current.header === header) {
        rejected = header;
        current = undefined;
      }
    },
  };
}
