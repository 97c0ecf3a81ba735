import type { RecordedRequest, ResponseSpec, TestServer } from '@ferrule/testing';
import { createTestServer } from '@ferrule/testing/vitest';
import { type Fault, faultFor, RETRY_AFTER_MS } from './chaos-plan.ts';
import { draw } from './seeded-random.ts';

/** The chaos server and what it saw. */
export interface ChaosApi {
  server: TestServer;
  /** How often each order was applied: never more than once, whatever the faults. */
  appliedByRef: Map<string, number>;
  /** The Idempotency-Keys each order's attempts carried. */
  keysByRef: Map<string, Set<string>>;
  /** POSTs answered from the stored result (a retry after the server had applied the order). */
  replayed: { count: number };
  /** The fault dealt to each attempt, by call: `faults.get(call)[attempt - 1]`. */
  faults: Map<number, Fault[]>;
  /** Requests without a valid token or without an Idempotency-Key on a POST. */
  refused: { count: number };
}

const STATUSES = [500, 502, 503, 504];

/**
 * A server that deals faults to every attempt, as `faultFor` says: 5xx, resets, stalled bodies, 429
 * bursts. GET /items/{id} answers with an ETag and `no-cache` (every call revalidates: 304s through
 * the cache); POST /orders applies an order once per Idempotency-Key — and, half the time, applies it
 * before the fault, so that only the key keeps a retry from applying it twice.
 * @example
 * const chaos = await startChaosApi({ seed: 7, token: 'secret' });
 */
export async function startChaosApi({ seed, token }: { seed: number; token: string }): Promise<ChaosApi> {
  const appliedByRef = new Map<string, number>();
  const keysByRef = new Map<string, Set<string>>();
  const stored = new Map<string, { ref: string }>();
  const faults = new Map<number, Fault[]>();
  const replayed = { count: 0 };
  const refused = { count: 0 };

  const refuse = (status: number): ResponseSpec => {
    refused.count++;
    return { status };
  };
  // The fault of this attempt (attempts counted per call, as they arrive).
  const dealt = (request: RecordedRequest) => {
    const call = Number(request.headers['x-call']);
    const list = faults.get(call) ?? [];
    faults.set(call, list);
    const fault = faultFor(seed, call, list.length + 1);
    list.push(fault);
    return { call, fault, attempt: list.length };
  };
  const failure = (fault: Fault, call: number, attempt: number, body: unknown): ResponseSpec => {
    switch (fault) {
      case '429':
        return { status: 429, headers: { 'retry-after-ms': String(RETRY_AFTER_MS) }, json: { error: 'slow down' } };
      case '5xx':
        return { status: STATUSES[Math.floor(draw(seed, call, attempt, 1) * STATUSES.length)] as number };
      case 'reset':
        return { reset: true };
      default:
        // Headers and a few bytes, then nothing: only the client's total timeout ends it.
        return { stallAfterBytes: 8, json: body };
    }
  };

  const server = await createTestServer({
    'GET /items/*': (request) => {
      if (request.headers.authorization !== `Bearer ${token}`) return refuse(401);
      const { call, fault, attempt } = dealt(request);
      const item = { id: Number(request.url.slice('/items/'.length)), name: 'ferrule' };
      if (fault !== 'ok') return failure(fault, call, attempt, item);
      return { json: item, etag: `"item-${item.id}"`, headers: { 'cache-control': 'no-cache' } };
    },
    'POST /orders': (request) => {
      const key = request.headers['idempotency-key'];
      if (request.headers.authorization !== `Bearer ${token}` || !key) return refuse(400);
      const { call, fault, attempt } = dealt(request);
      const { ref } = request.json() as { ref: string };
      keysByRef.set(ref, (keysByRef.get(ref) ?? new Set()).add(key));
      const applyFirst = draw(seed, call, attempt, 2) < 0.5;
      if (fault !== 'ok' && !(applyFirst && fault !== '429')) return failure(fault, call, attempt, { ref });
      const known = stored.get(key);
      if (known) replayed.count++;
      else {
        stored.set(key, { ref });
        appliedByRef.set(ref, (appliedByRef.get(ref) ?? 0) + 1);
      }
      // Applied, and then the answer fails.
      if (fault !== 'ok') return failure(fault, call, attempt, { ref });
      return { status: 201, json: known ?? { ref } };
    },
  });
  return { server, appliedByRef, keysByRef, replayed, faults, refused };
}
