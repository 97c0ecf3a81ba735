/** The state of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What the cache did with a call. */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'revalidated' | 'bypass' | 'stored' | 'error';

/**
 * Every event ferrule emits, by `type`. One discriminated union ({@link FerruleEvent}) is derived
 * from it; adapters outside this repository may add their own entries by declaration merging:
 * `declare module '@ferrule/core' { interface FerruleEventMap { 'my-event': { … } } }`.
 *
 * No event ever carries a `Request`, a header value or a body: only facts that are safe to log.
 */
export interface FerruleEventMap {
  /** An attempt is handed to the terminal fetch (one per network attempt; none on a cache hit). */
  request: { attempt: number };
  /** The terminal fetch answered. */
  response: { attempt: number; status: number; durationMs: number };
  /** The terminal fetch failed without a response (network error, abort). */
  'network-error': { attempt: number; durationMs: number; errorName: string; errorCode?: string };
  /** A retry layer will try again after `delayMs`. */
  retry: { attempt: number; delayMs: number; reason: string; status?: number };
  /** A retry layer gave up. */
  'retry-exhausted': { attempts: number; reason: string };
  /** The shared retry budget refused a retry. */
  'retry-budget': { reason: string };
  /** A timeout fired. */
  timeout: { scope: 'attempt' | 'total'; timeoutMs: number };
  /** A circuit changed state. */
  circuit: { key: string; state: CircuitState; previous: CircuitState };
  /** The bulkhead queued or rejected a call. */
  bulkhead: { action: 'queued' | 'rejected'; active: number; queued: number };
  /** A hedged attempt was started, or one of them won. */
  hedge: { action: 'started' | 'won'; hedge: number; delayMs?: number };
  /** A fallback answered instead of the network. */
  fallback: { reason: string };
  /** The cache served, stored, revalidated or bypassed a call. */
  cache: { status: CacheStatus; ageMs?: number; reason?: string };
  /** The rate limiter made a call wait, paused a key, slowed down, or refused a call. */
  ratelimit: {
    action: 'waited' | 'paused' | 'slowed' | 'rejected';
    key: string;
    waitMs?: number;
    untilMs?: number;
    reason?: string;
  };
  /** An auth layer fetched or refreshed a credential, replayed a call, or withheld a credential. */
  auth: {
    scheme: string;
    action: 'token-fetched' | 'token-refreshed' | 'token-failed' | 'replayed' | 'signed' | 'withheld';
    reason?: string;
  };
  /** A page was fetched by `paginate()`. */
  pagination: { page: number; items: number; done: boolean; next?: string };
  /** A shared store (Redis, file) became unavailable or came back. */
  store: { store: string; action: 'unavailable' | 'recovered' | 'error'; reason?: string };
}

/** The type names of all events. */
export type FerruleEventType = keyof FerruleEventMap;

/** An event as a middleware emits it through `context.emit`. */
export type EmittedEvent = {
  [Type in FerruleEventType]: { type: Type } & FerruleEventMap[Type];
}[FerruleEventType];

/**
 * An event as `createFetch`'s `onEvent` receives it: what the middleware emitted, plus the call's
 * method, its URL with key-like query parameters redacted, and the clock time.
 */
export type FerruleEvent = EmittedEvent & { method: string; url: string; timeMs: number };

/**
 * Runs an observer so that it can never fail the caller: a throw or a rejected promise is swallowed.
 * @example
 * safely(onEvent, event);
 */
export function safely<Args extends unknown[]>(
  observer: ((...args: Args) => unknown) | undefined,
  ...args: Args
): void {
  if (!observer) return;
  try {
    const result = observer(...args);
    if (result && typeof (result as Promise<unknown>).catch === 'function') {
      (result as Promise<unknown>).catch(() => {});
    }
  } catch {
    // An observer must never break a request.
  }
}
