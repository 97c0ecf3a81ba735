import type { ResponseSpec } from '@ferrule/testing';
import { seeded } from '../random.ts';

/** A fault the embedded API injects into one answer. */
export type FaultKind = '5xx' | 'reset' | 'slow-headers' | 'slow-body';

/** A fault drawn for one request: its kind, and the status of a `5xx`. */
export interface Fault {
  kind: FaultKind;
  status: number;
}

/** Options of {@link faultPlan}. */
export interface FaultPlanOptions {
  seed: number;
  /** The fraction of requests that meet a fault, 0 to 1. */
  chaos: number;
  /** How long a `slow-headers` answer waits before its headers (longer than the client's attempt timeout). */
  slowHeadersMs: number;
  /** The pause between the four chunks of a `slow-body` answer. @default 150 */
  chunkDelayMs?: number;
}

/** The faults of a run: which request meets which, and how each changes an answer. */
export interface FaultPlan {
  /**
   * The fault that this request meets, or `undefined`. It depends only on the seed, the method and
   * URL, and how many requests for that method and URL came before: the same on every run.
   */
  draw(method: string, url: string): Fault | undefined;
  /** The answer with the fault in it. */
  inflict(fault: Fault, answer: ResponseSpec): ResponseSpec;
  /** How many of each fault were injected. */
  readonly stats: Record<FaultKind, number>;
}

// The mix of faults: 5xx 40 %, connection resets 25 %, slow headers 15 %, slow bodies 20 %.
const MIX: readonly [FaultKind, number][] = [
  ['5xx', 0.4],
  ['reset', 0.65],
  ['slow-headers', 0.8],
  ['slow-body', 1],
];
const STATUSES = [500, 502, 503];

function chunked(text: string, count: number): string[] {
  const size = Math.ceil(text.length / count);
  return Array.from({ length: count }, (_, index) => text.slice(index * size, (index + 1) * size)).filter(Boolean);
}

/**
 * Decides, reproducibly from the seed, which requests meet a fault: 5xx answers (500, 502, 503,
 * without `Retry-After`), connection resets, headers that come after the client's attempt timeout,
 * and bodies that trickle in four chunks.
 * @example
 * const faults = faultPlan({ seed: 1, chaos: 0.1, slowHeadersMs: 1_500 });
 * const kind = faults.draw('GET', '/products/7');
 */
export function faultPlan({ seed, chaos, slowHeadersMs, chunkDelayMs = 150 }: FaultPlanOptions): FaultPlan {
  const seen = new Map<string, number>();
  const stats: Record<FaultKind, number> = { '5xx': 0, reset: 0, 'slow-headers': 0, 'slow-body': 0 };
  return {
    stats,
    draw(method, url) {
      if (chaos <= 0) return undefined;
      const key = `${method} ${url}`;
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      const random = seeded(seed, `${key}#${count}`);
      if (random.float() >= chaos) return undefined;
      const roll = random.float();
      const kind = MIX.find(([, upTo]) => roll < upTo)?.[0] ?? '5xx';
      stats[kind]++;
      return { kind, status: random.pick(STATUSES) };
    },
    inflict({ kind, status }, answer) {
      switch (kind) {
        case '5xx':
          return { status, json: { error: 'injected fault' } };
        case 'reset':
          return { reset: true };
        case 'slow-headers':
          return { ...answer, delayMs: slowHeadersMs };
        case 'slow-body': {
          const { json, ...rest } = answer;
          if (json === undefined) return answer;
          const headers = { 'content-type': 'application/json', ...answer.headers };
          return { ...rest, headers, chunks: chunked(JSON.stringify(json), 4), chunkDelayMs };
        }
      }
    },
  };
}
