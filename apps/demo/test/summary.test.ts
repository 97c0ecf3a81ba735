import type { MetricsSnapshot } from '@ferrule/observability';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/args.ts';
import { renderSummary, type SummaryParts, summarize } from '../src/summary.ts';
import { createTally } from '../src/tally.ts';
import type { SyncCheck } from '../src/verify.ts';

const synced: SyncCheck = {
  expected: 3,
  listed: 3,
  stored: 3,
  missing: 0,
  duplicated: 0,
  different: 0,
  failures: [],
  ok: true,
};
const latency = { count: 1, sumMs: 10, minMs: 10, maxMs: 10, p50Ms: 12.34, p95Ms: 1_500, p99Ms: 2_049 };

function parts(overrides: Partial<SummaryParts> = {}): SummaryParts {
  return {
    settings: { ...DEFAULTS, json: false, target: undefined },
    apiRatePerSecond: 50,
    durationMs: 12_345.6,
    metrics: { calls: 10, attempts: 12, retries: 2, rateLimitWaitMs: 500, latency } as MetricsSnapshot,
    tally: createTally().snapshot(),
    recovered: { CIRCUIT_OPEN: 3 },
    logRecords: { info: 10, warn: 0, error: 0 },
    server: null,
    sync: { first: synced, second: synced, categories: { ...synced, expected: 1, listed: 1, stored: 1 } },
    writes: { sent: 1, confirmed: 1, replayedAnswers: 0, appliedOnce: 1, failures: [], ok: true },
    secrets: { scanned: 40, leaks: 0 },
    ...overrides,
  };
}

describe('the summary', () => {
  it('succeeds only when both syncs, the categories and the writes check out and no secret leaked', () => {
    expect(summarize(parts()).ok).toBe(true);
    const missing = { ...synced, missing: 1, ok: false };
    expect(summarize(parts({ sync: { ...parts().sync, second: missing } })).ok).toBe(false);
    expect(summarize(parts({ secrets: { scanned: 40, leaks: 1 } })).ok).toBe(false);
  });

  it('renders a plain table and the verdict', () => {
    const text = renderSummary(summarize(parts()), 120);
    expect(text).toMatch(/│ latency p50\/p95\/p99 │ 12 ms \/ 1\.5 s \/ 2\.0 s\s+│/);
    expect(text).toMatch(/│ retries\s+│ 2 by the client; 3 calls made again by the sync loop \(3 after CIRCUIT_OPEN\)/);
    expect(text).toContain('OK: every item synced exactly once');
    expect(text).not.toContain('\u001b');
  });

  it('names what failed, and the first failures', () => {
    const failed = { ...synced, stored: 2, missing: 1, failures: ['product 2: HTTP 503: gone'], ok: false };
    const text = renderSummary(summarize(parts({ sync: { ...parts().sync, first: failed } })));
    expect(text).toContain('FAILED: the first sync.\n  product 2: HTTP 503: gone\n');
    expect(text).toMatch(/items synced\s+│ 2\/3 verified against the totals the API reported: 1 missing, 0\s/);
  });
});
