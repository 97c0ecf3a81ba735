import { type Directives, deltaMs } from './cache-control.ts';
import { currentAgeMs, type StoredResponse } from './freshness.ts';

/** The cache's own stale windows (its `staleWhileRevalidateMs` and `staleIfErrorMs` options). */
export interface StaleDefaults {
  swrMs: number;
  sieMs: number;
}

/** What a stored response can do for a request. */
export type Verdict = 'fresh' | 'stale' | 'swr' | 'validate';

const DAY_MS = 86_400_000;

/**
 * Whether a stored response may answer a request as it is, stale (the request's max-stale), stale
 * while it is revalidated (RFC 5861 §3), or only after validation (RFC 9111 §4.2, §4.2.4, §5.2.1).
 */
export function judge(stored: StoredResponse, directives: Directives, nowMs: number, defaults: StaleDefaults): Verdict {
  const ageMs = currentAgeMs(stored, nowMs);
  const leftMs = stored.lifetimeMs - ageMs;
  const maxAgeMs = deltaMs(directives, 'max-age');
  // A request's max-age wants a strictly younger response, so that max-age=0 always validates.
  if (directives.has('no-cache') || (maxAgeMs !== undefined && ageMs >= maxAgeMs)) return 'validate';
  if (leftMs > 0) return leftMs >= (deltaMs(directives, 'min-fresh') ?? 0) ? 'fresh' : 'validate';
  // Stale only when nothing forbids it and something permits it.
  if (stored.strict) return 'validate';
  if (directives.get('max-stale') === true || -leftMs <= (deltaMs(directives, 'max-stale') ?? -1)) return 'stale';
  return -leftMs < (stored.staleWhileRevalidateMs ?? defaults.swrMs) ? 'swr' : 'validate';
}

/** RFC 5861 §4: may a stored response answer when the origin fails? The request's window, else the response's, else the cache's. */
export function servesOnError(stored: StoredResponse, directives: Directives, nowMs: number, defaults: StaleDefaults) {
  const windowMs = stored.strict
    ? 0
    : (deltaMs(directives, 'stale-if-error') ?? stored.staleIfErrorMs ?? defaults.sieMs);
  return windowMs > 0 && currentAgeMs(stored, nowMs) - stored.lifetimeMs < windowMs;
}

/**
 * How long a stored response is worth keeping: while fresh, then while it may be served stale, or
 * (with a `validator`) a day for validation. 0 for a response that is never of use.
 */
export const keepMs = (
  stored: Pick<
    StoredResponse,
    'initialAgeMs' | 'responseTime' | 'lifetimeMs' | 'staleWhileRevalidateMs' | 'staleIfErrorMs'
  >,
  validator: boolean,
  nowMs: number,
  defaults: StaleDefaults,
) =>
  Math.max(0, stored.lifetimeMs - currentAgeMs(stored, nowMs)) +
  Math.max(
    stored.staleWhileRevalidateMs ?? defaults.swrMs,
    stored.staleIfErrorMs ?? defaults.sieMs,
    validator ? DAY_MS : 0,
  );
