import {
  isAuthError,
  isCircuitOpenError,
  isPaginationError,
  isRateLimitedError,
  isTimeoutError,
  systemClock,
} from '@ferrule/core';

/** How the sync loop goes on after a call failed for good inside the client. */
export interface Recovery {
  /**
   * Runs `call` again after a transient failure (an open circuit, a timeout, a 5xx once retries are
   * spent, a connection lost), at most `maxRounds` times in all, waiting as the error says (an open
   * circuit until it lets a probe through) or 250 ms. Other failures are thrown at once.
   */
  run<Result>(call: () => Promise<Result>): Promise<Result>;
  /** How many calls were made again, by the reason they failed. */
  readonly stats: Record<string, number>;
}

const DEFAULT_WAIT_MS = 250;

/** A short name for a failure, for the summary: `CIRCUIT_OPEN`, `HTTP 503`, `TypeError`. */
function reasonOf(error: unknown): string {
  const status = (error as { response?: { status?: unknown } })?.response?.status;
  if (typeof status === 'number') return `HTTP ${status}`;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  return (error as Error)?.name ?? 'Error';
}

/** One line about a failure: its reason and its message (ferrule's messages hold redacted URLs only). */
export const describe = (error: unknown): string => `${reasonOf(error)}: ${(error as Error)?.message ?? String(error)}`;

function isTransient(error: unknown): boolean {
  if (isCircuitOpenError(error) || isTimeoutError(error) || isRateLimitedError(error) || isAuthError(error))
    return true;
  // A page answered with a status the client's retries could not get past.
  if (isPaginationError(error)) return error.reason === 'status';
  const status = (error as { response?: { status?: unknown } })?.response?.status;
  if (typeof status === 'number') return status >= 500 || status === 408 || status === 429;
  // fetch's network failures, and ky's wrapping of them.
  return error instanceof TypeError || (error as Error)?.name === 'NetworkError';
}

const waitAfter = (error: unknown) =>
  (isCircuitOpenError(error) || isRateLimitedError(error) ? error.retryAfterMs : undefined) ?? DEFAULT_WAIT_MS;

/**
 * The sync loop's recovery, above the client's own retries: what the client gave up on is tried again
 * later, so that one outage does not lose an item. Abort stops it at once.
 * @example
 * const recovery = createRecovery(signal, 6);
 * const product = await recovery.run(() => api.get('products/7').json());
 */
export function createRecovery(signal: AbortSignal, maxRounds: number): Recovery {
  const stats: Record<string, number> = {};
  return {
    stats,
    async run(call) {
      for (let round = 1; ; round++) {
        try {
          return await call();
        } catch (error) {
          if (signal.aborted || round >= maxRounds || !isTransient(error)) throw error;
          const reason = reasonOf(error);
          stats[reason] = (stats[reason] ?? 0) + 1;
          await systemClock.sleep(Math.max(1, waitAfter(error)), signal);
        }
      }
    },
  };
}
