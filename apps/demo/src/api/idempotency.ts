import { createHash } from 'node:crypto';
import { parseStructuredList } from '@ferrule/core';
import type { RecordedRequest, ResponseSpec } from '@ferrule/testing';

/** What the ledger did with a request. */
export type IdempotencyOutcome = 'processed' | 'replayed' | 'missing-key' | 'key-reused';

/** The ledger of {@link idempotencyLedger}. */
export interface IdempotencyLedger {
  /**
   * Runs `apply` once per `Idempotency-Key`: the first request with a key is processed and its answer
   * kept; a later one with the same key and the same method, URL and body gets that answer again
   * with `Idempotent-Replayed: true`; the same key on another request is refused with 422, and a
   * request without a key with 400 (draft-ietf-httpapi-idempotency-key-header §2.7).
   */
  run(request: RecordedRequest, apply: () => ResponseSpec): { answer: ResponseSpec; outcome: IdempotencyOutcome };
  /** How many requests were processed, answered again, or refused. */
  readonly stats: { processed: number; replayed: number; refused: number };
}

interface Kept {
  fingerprint: string;
  answer: ResponseSpec;
}

// The header is a Structured Field string (the draft's §2.1); a token is taken as well, as Stripe sends.
function keyOf(header: string | undefined): string | undefined {
  const items = header === undefined ? undefined : parseStructuredList(header);
  const value = items?.length === 1 ? items[0]?.value : undefined;
  return typeof value === 'string' && value.length > 0 && value.length <= 255 ? value : undefined;
}

const fingerprintOf = ({ method, url, body }: RecordedRequest) =>
  createHash('sha256').update(`${method} ${url}\n`).update(body).digest('base64');

/**
 * Applies each write once however often it arrives: the server half of idempotency keys. Keys are
 * kept for the life of the server (the demo's run); apply runs synchronously, so no key is ever seen
 * while its first request is still being applied.
 * @example
 * const ledger = idempotencyLedger();
 * const { answer } = ledger.run(request, () => ({ json: applyPatch(request) }));
 */
export function idempotencyLedger(): IdempotencyLedger {
  const kept = new Map<string, Kept>();
  const stats = { processed: 0, replayed: 0, refused: 0 };
  return {
    stats,
    run(request, apply) {
      const key = keyOf(request.headers['idempotency-key']);
      if (key === undefined) {
        stats.refused++;
        return {
          answer: { status: 400, json: { error: 'an Idempotency-Key header is required' } },
          outcome: 'missing-key',
        };
      }
      const fingerprint = fingerprintOf(request);
      const previous = kept.get(key);
      if (previous && previous.fingerprint !== fingerprint) {
        stats.refused++;
        return {
          answer: { status: 422, json: { error: 'this Idempotency-Key was used for another request' } },
          outcome: 'key-reused',
        };
      }
      if (previous) {
        stats.replayed++;
        const answer = { ...previous.answer, headers: { ...previous.answer.headers, 'idempotent-replayed': 'true' } };
        return { answer, outcome: 'replayed' };
      }
      const answer = apply();
      kept.set(key, { fingerprint, answer });
      stats.processed++;
      return { answer, outcome: 'processed' };
    },
  };
}
