import type { CircuitState, Context, KeyValueStore, Middleware } from '@ferrule/core';
import { type Breaker, type BreakerOptions, BreakerSchema, createBreaker } from './breakers.ts';
import { CircuitOpenError, func, looseObject, optional, strictObject, union, validateOptions } from './deps.ts';
import { holds, type Outcome, outcomeOf, outcomeTest, settle } from './outcome.ts';
import { delayMs, fn, statuses } from './plan.ts';

/**
 * A circuit's state as a shared store keeps it, under the circuit's key. Half-open is local to each
 * client (each lets its own probe through), so it is never published.
 * @example
 * const store = memoryStore<CircuitSnapshot>(); // or a Redis store shared by many processes
 */
export interface CircuitSnapshot {
  state: 'open' | 'closed';
  /** When the state began, in clock time (epoch ms). The later snapshot wins. */
  sinceMs: number;
}

/**
 * Options of {@link circuitBreaker}.
 * @example
 * const options: CircuitBreakerOptions = { breaker: { type: 'sampling', threshold: 0.5 }, halfOpenAfterMs: 10_000 };
 */
export interface CircuitBreakerOptions {
  /** When a circuit opens. @default { type: 'consecutive', threshold: 5 } */
  breaker?: BreakerOptions;
  /** How long an open circuit refuses calls before it lets one probe through. @default 30_000 */
  halfOpenAfterMs?: number;
  /**
   * Which outcomes count as failures: a list of statuses (network errors and attempt timeouts count
   * too), or a predicate that decides alone. Other errors (a caller's abort, an auth error) count
   * neither way.
   * @default [500, 502, 503, 504]
   */
  failureOn?: readonly number[] | ((outcome: Outcome) => boolean);
  /** The circuit a request belongs to. @default its origin, so one dead host never opens another's circuit */
  key?: (request: Request) => string;
  /**
   * Where circuits publish their state, so that clients and processes that share the store share
   * open circuits (and a restarted process starts with them). Read before every call (a store that
   * fails is reported with a `store` event and the local state goes on); written on every open and close.
   * @default none: state lives in this middleware
   */
  store?: KeyValueStore<CircuitSnapshot>;
}

const CircuitBreakerSchema = strictObject({
  breaker: optional(BreakerSchema),
  halfOpenAfterMs: optional(delayMs),
  failureOn: optional(union([statuses, fn<CircuitBreakerOptions['failureOn']>()])),
  key: optional(fn<(request: Request) => string>()),
  store: optional(looseObject({ get: func() })),
});

interface Circuit {
  key: string;
  state: CircuitState;
  sinceMs: number;
  breaker: Breaker;
  /** Whether the one probe of a half-open circuit is on its way. */
  probing?: boolean;
  /** Counts state changes: an outcome that comes back after one is not counted. */
  generation: number;
}

// Circuits kept at most: beyond, the oldest is dropped, so that a client of many hosts stays bounded.
const MAX_CIRCUITS = 1_000;

// Request.url is normalised: the origin ends at the first slash after `//`.
const originOf = (request: Request) => {
  const url = request.url;
  const end = url.indexOf('/', url.indexOf('//') + 2);
  return end === -1 ? url : url.slice(0, end);
};

/**
 * Stops calling a host that keeps failing: after the breaker's threshold, its circuit opens and calls
 * fail at once with a {@link CircuitOpenError} without touching the network; after `halfOpenAfterMs`
 * one probe goes through, and its outcome closes or reopens the circuit. Circuits are kept per origin
 * (by default) and may be shared through a `KeyValueStore`. Emits `circuit` on every change.
 * @example
 * const fetch = createFetch({ use: [circuitBreaker({ breaker: { type: 'consecutive', threshold: 3 } })] });
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): Middleware {
  const {
    breaker = { type: 'consecutive' },
    halfOpenAfterMs = 30_000,
    failureOn = [500, 502, 503, 504],
    key = originOf,
  } = validateOptions(CircuitBreakerSchema, options, 'circuitBreaker') as unknown as CircuitBreakerOptions;
  // The store as given: valibot hands back a copy, which would lose a class's methods and fields.
  const { store } = options;
  const isFailure = outcomeTest(failureOn);
  const circuits = new Map<string, Circuit>();
  const storeFailed = (context: Context, error: unknown) =>
    context.emit({ type: 'store', store: 'circuit', action: 'error', reason: String((error as Error)?.name) });

  const circuitFor = (request: Request, context: Context) => {
    const name = key(request);
    let circuit = circuits.get(name);
    if (circuit) return circuit;
    if (circuits.size >= MAX_CIRCUITS) circuits.delete(circuits.keys().next().value as string);
    circuit = {
      key: name,
      state: 'closed',
      sinceMs: -Infinity,
      breaker: createBreaker(breaker, context.clock),
      generation: 0,
    };
    circuits.set(name, circuit);
    return circuit;
  };

  // Moves a circuit to `state`, and tells the store (half-open stays local to this client).
  const move = (
    circuit: Circuit,
    state: CircuitState,
    context: Context,
    sinceMs = context.clock.now(),
    publish = true,
  ) => {
    const previous = circuit.state;
    circuit.state = state;
    circuit.sinceMs = sinceMs;
    circuit.probing = false;
    circuit.generation++;
    if (previous !== state) context.emit({ type: 'circuit', key: circuit.key, state, previous });
    if (store && publish && state !== 'half-open') {
      store.set(circuit.key, { state, sinceMs }).catch((error: unknown) => storeFailed(context, error));
    }
  };

  // Takes on a newer state that another client published.
  const adopt = async (circuit: Circuit, context: Context) => {
    try {
      const shared = await (store as KeyValueStore<CircuitSnapshot>).get(circuit.key);
      // Older than what this client knows (or nothing): nothing to take on. Garbage never compares as older.
      if (shared == null || shared.sinceMs <= circuit.sinceMs) return;
      if ((shared.state !== 'open' && shared.state !== 'closed') || typeof shared.sinceMs !== 'number') {
        throw new TypeError();
      }
      if (shared.state === 'closed') circuit.breaker = createBreaker(breaker, context.clock);
      move(circuit, shared.state, context, shared.sinceMs, false);
    } catch (error) {
      storeFailed(context, error);
    }
  };

  // Counts an outcome, unless the circuit changed while it was on its way.
  const record = (circuit: Circuit, outcome: Outcome, context: Context) => {
    // A caller's abort, or an error that is no failure (an auth error), counts neither way.
    const failed = holds(outcome, context.signal, isFailure);
    if (outcome.response === undefined && !failed) circuit.probing = false;
    else if (circuit.state === 'half-open') {
      // The probe decides alone (as in cockatiel's policy): a failure reopens, a success closes with a
      // fresh breaker, so that failures from before the circuit opened no longer count.
      if (!failed) circuit.breaker = createBreaker(breaker, context.clock);
      move(circuit, failed ? 'open' : 'closed', context);
    } else if (!failed) circuit.breaker.success();
    else if (circuit.breaker.failure()) move(circuit, 'open', context);
  };

  return async function circuitBreaker(request, context, next) {
    const circuit = circuitFor(request, context);
    if (store) await adopt(circuit, context);
    if (circuit.state === 'open') {
      const waitMs = circuit.sinceMs + halfOpenAfterMs - context.clock.now();
      if (waitMs > 0) throw new CircuitOpenError(circuit.key, waitMs, { request });
      move(circuit, 'half-open', context);
    }
    if (circuit.state === 'half-open') {
      // One probe at a time; the others are refused until it has decided.
      if (circuit.probing) throw new CircuitOpenError(circuit.key, undefined, { request });
      circuit.probing = true;
    }
    const generation = circuit.generation;
    const outcome = await outcomeOf(request, next(request, context));
    if (circuit.generation === generation) record(circuit, outcome, context);
    return settle(outcome);
  };
}
