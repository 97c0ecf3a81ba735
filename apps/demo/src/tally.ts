import type { CacheStatus, CircuitState, FerruleEvent, FerruleEventMap } from '@ferrule/core';

type AuthAction = FerruleEventMap['auth']['action'];

/** What the client's layers reported through their events, counted. */
export interface TallySnapshot {
  /** Retries the client's retry layer made. */
  retries: number;
  /** Answers with status 429, counted per attempt. */
  responses429: number;
  /** Attempts that failed without an answer (resets, aborts). */
  networkErrors: number;
  /** Attempts cut off by the attempt timeout. */
  attemptTimeouts: number;
  /** How often the limiter paused for a server's `Retry-After` or an exhausted quota. */
  rateLimitPauses: number;
  cache: { hits: number; revalidated: number; misses: number; stored: number };
  auth: { tokensFetched: number; tokenRefreshes: number; replays: number; signed: number };
  /** Every state the circuit went through, starting from `closed`. */
  circuit: CircuitState[];
  pages: number;
}

// Which count each cache status and auth action adds to.
const CACHE_COUNTS: Partial<Record<CacheStatus, keyof TallySnapshot['cache']>> = {
  hit: 'hits',
  stale: 'hits',
  revalidated: 'revalidated',
  miss: 'misses',
  stored: 'stored',
};
const AUTH_COUNTS: Partial<Record<AuthAction, keyof TallySnapshot['auth']>> = {
  'token-fetched': 'tokensFetched',
  'token-refreshed': 'tokenRefreshes',
  replayed: 'replays',
  signed: 'signed',
};

/** Counts events as they come; `onEvent` goes to `createClient` and `paginate`. */
export interface Tally {
  onEvent(event: FerruleEvent): void;
  snapshot(): TallySnapshot;
}

/**
 * Counts the events of every layer: the figures of the summary that the metrics do not hold.
 * @example
 * const tally = createTally();
 * const api = createClient({ onEvent: tally.onEvent });
 */
export function createTally(): Tally {
  const counts: TallySnapshot = {
    retries: 0,
    responses429: 0,
    networkErrors: 0,
    attemptTimeouts: 0,
    rateLimitPauses: 0,
    cache: { hits: 0, revalidated: 0, misses: 0, stored: 0 },
    auth: { tokensFetched: 0, tokenRefreshes: 0, replays: 0, signed: 0 },
    circuit: ['closed'],
    pages: 0,
  };
  const { cache, auth } = counts;
  return {
    onEvent(event) {
      switch (event.type) {
        case 'response':
          if (event.status === 429) counts.responses429++;
          break;
        case 'retry':
          counts.retries++;
          break;
        case 'network-error':
          counts.networkErrors++;
          break;
        case 'timeout':
          if (event.scope === 'attempt') counts.attemptTimeouts++;
          break;
        case 'ratelimit':
          if (event.action === 'paused') counts.rateLimitPauses++;
          break;
        case 'cache': {
          const key = CACHE_COUNTS[event.status];
          if (key) cache[key]++;
          break;
        }
        case 'auth': {
          const key = AUTH_COUNTS[event.action];
          if (key) auth[key]++;
          break;
        }
        case 'circuit':
          counts.circuit.push(event.state);
          break;
        case 'pagination':
          counts.pages++;
          break;
      }
    },
    snapshot: () => structuredClone(counts),
  };
}
