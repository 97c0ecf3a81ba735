import type { MetricsSnapshot } from '@ferrule/observability';
import Table from 'cli-table3';
import type { ApiStats } from './api/server.ts';
import type { Settings } from './args.ts';
import type { TallySnapshot } from './tally.ts';
import type { SyncCheck, WriteCheck } from './verify.ts';

/** Everything a run found out: what `--json` prints, and what the table shows. */
export interface DemoSummary {
  /** Every item synced exactly once in both syncs, every write applied once, no secret leaked. */
  ok: boolean;
  settings: Omit<Settings, 'json' | 'target'> & {
    target: string | null;
    /** The requests per second the embedded API allows (`null` with `--target`). */
    apiRatePerSecond: number | null;
  };
  durationMs: number;
  client: {
    calls: number;
    attempts: number;
    retries: number;
    responses429: number;
    rateLimitWaitMs: number;
    rateLimitPauses: number;
    cache: TallySnapshot['cache'];
    auth: TallySnapshot['auth'];
    circuit: { transitions: number; states: string[] };
    latencyMs: { p50: number; p95: number; p99: number };
    attemptTimeouts: number;
    networkErrors: number;
    /** Calls the sync loop made again after the client gave up, by reason. */
    recovered: Record<string, number>;
    logRecords: Record<'info' | 'warn' | 'error', number>;
  };
  /** What the embedded API saw (`null` with `--target`). */
  server: ApiStats | null;
  sync: { first: SyncCheck; second: SyncCheck; categories: SyncCheck };
  writes: WriteCheck;
  secrets: { scanned: number; leaks: number };
}

/** The parts a summary is made of. */
export interface SummaryParts {
  settings: Settings;
  apiRatePerSecond: number | null;
  durationMs: number;
  metrics: MetricsSnapshot;
  tally: TallySnapshot;
  recovered: Record<string, number>;
  logRecords: Record<'info' | 'warn' | 'error', number>;
  server: ApiStats | null;
  sync: DemoSummary['sync'];
  writes: WriteCheck;
  secrets: { scanned: number; leaks: number };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Puts the figures of a run together and decides whether it succeeded.
 * @example
 * const summary = summarize({ settings, durationMs, metrics: stats.snapshot(), tally: tally.snapshot(), … });
 */
export function summarize(parts: SummaryParts): DemoSummary {
  const { settings, metrics, tally, sync, writes, secrets } = parts;
  const ok = sync.first.ok && sync.second.ok && sync.categories.ok && writes.ok && secrets.leaks === 0;
  return {
    ok,
    settings: {
      chaos: settings.chaos,
      ratePerSecond: settings.ratePerSecond,
      items: settings.items,
      seed: settings.seed,
      target: settings.target ?? null,
      apiRatePerSecond: parts.apiRatePerSecond,
    },
    durationMs: Math.round(parts.durationMs),
    client: {
      calls: metrics.calls,
      attempts: metrics.attempts,
      retries: metrics.retries,
      responses429: tally.responses429,
      rateLimitWaitMs: Math.round(metrics.rateLimitWaitMs),
      rateLimitPauses: tally.rateLimitPauses,
      cache: tally.cache,
      auth: tally.auth,
      circuit: { transitions: tally.circuit.length - 1, states: tally.circuit },
      latencyMs: {
        p50: round(metrics.latency.p50Ms),
        p95: round(metrics.latency.p95Ms),
        p99: round(metrics.latency.p99Ms),
      },
      attemptTimeouts: tally.attemptTimeouts,
      networkErrors: tally.networkErrors,
      recovered: parts.recovered,
      logRecords: parts.logRecords,
    },
    server: parts.server,
    sync,
    writes,
    secrets,
  };
}

const count = (value: number) => value.toLocaleString('en-US');
const sum = (values: Partial<Record<string, number>>) =>
  Object.values(values).reduce<number>((total, value) => total + (value ?? 0), 0);
const duration = (ms: number) => (ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`);
const plural = (value: number, one: string, many = `${one}s`) => `${count(value)} ${value === 1 ? one : many}`;

function syncLine({ expected, stored, missing, duplicated, different, failures }: SyncCheck, against: string) {
  const failed = failures.length ? `, ${plural(failures.length, 'failure')}` : '';
  return `${count(stored)}/${count(expected)} verified against ${against}: ${missing} missing, ${duplicated} duplicated, ${different} different${failed}`;
}

function faultLine(summary: DemoSummary): string {
  const { server, settings } = summary;
  if (!server) return 'none injected (--target)';
  const { faults, tokens } = server;
  const parts = [
    `${faults['5xx']} 5xx`,
    plural(faults.reset, 'reset'),
    `${faults['slow-headers']} slow headers`,
    plural(faults['slow-body'], 'slow body', 'slow bodies'),
    `${faults.outage} outage 503s`,
    plural(tokens.revocations, 'token revocation'),
  ];
  return `seed ${settings.seed}, chaos ${settings.chaos}: ${parts.join(', ')}`;
}

function writesLine({ writes, server }: DemoSummary): string {
  const serverSide = server
    ? `; the API applied ${server.writes.applied}, replayed ${server.writes.replayed}, verified ${server.signatures.verified} signatures, rejected ${sum(server.signatures.rejected)}`
    : '';
  return `${writes.sent} sent, ${writes.appliedOnce} applied exactly once, ${writes.replayedAnswers} answered from the idempotency record${serverSide}`;
}

function recoveredLine(recovered: Record<string, number>): string {
  const reasons = Object.entries(recovered).map(([reason, times]) => `${times} after ${reason}`);
  return `${plural(sum(recovered), 'call')} made again by the sync loop${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
}

/** The rows of the summary table: a label and what was measured. */
function summaryRows(summary: DemoSummary): [string, string][] {
  const { client, server, sync } = summary;
  const against = server ? "the API's dataset" : 'the totals the API reported';
  const perCall = client.calls ? client.rateLimitWaitMs / client.calls : 0;
  return [
    ['requests', `${count(client.calls)} calls through the client`],
    ['attempts', `${count(client.attempts)} sent${server ? `, ${count(server.requests)} received by the API` : ''}`],
    ['retries', `${count(client.retries)} by the client; ${recoveredLine(client.recovered)}`],
    ['429s received', `${count(client.responses429)}, each pausing the limiter until Retry-After`],
    [
      'limiter wait',
      `${duration(client.rateLimitWaitMs)} summed over calls (${duration(perCall)} per call), ${plural(client.rateLimitPauses, 'pause')}`,
    ],
    [
      'cache',
      `${count(client.cache.hits)} hits, ${count(client.cache.revalidated)} revalidations (304), ${count(client.cache.misses)} misses`,
    ],
    [
      'token refreshes',
      `${count(client.auth.tokenRefreshes)} after the first token, ${plural(client.auth.replays, 'replay')} after a 401`,
    ],
    ['circuit transitions', `${client.circuit.transitions}: ${client.circuit.states.join(' → ')}`],
    [
      'latency p50/p95/p99',
      [client.latencyMs.p50, client.latencyMs.p95, client.latencyMs.p99].map(duration).join(' / '),
    ],
    ['faults injected', faultLine(summary)],
    ['items synced', syncLine(sync.first, against)],
    ['items re-synced', syncLine(sync.second, against)],
    ['categories', syncLine(sync.categories, against)],
    ['writes', writesLine(summary)],
    ['secrets in logs', `${summary.secrets.leaks} in ${count(summary.secrets.scanned)} log records, events and errors`],
    ['duration', duration(summary.durationMs)],
  ];
}

/** The verdict under the table. */
function verdict(summary: DemoSummary): string {
  if (summary.ok) return 'OK: every item synced exactly once, every write applied exactly once, no secret leaked.';
  const problems = [
    !summary.sync.first.ok && 'the first sync',
    !summary.sync.second.ok && 'the re-sync',
    !summary.sync.categories.ok && 'the categories',
    !summary.writes.ok && 'the writes',
    summary.secrets.leaks > 0 && 'a secret leaked',
  ].filter(Boolean);
  const failures = [...summary.sync.first.failures, ...summary.sync.second.failures, ...summary.writes.failures];
  const shown = failures
    .slice(0, 5)
    .map((failure) => `\n  ${failure}`)
    .join('');
  return `FAILED: ${problems.join(', ')}.${shown}`;
}

// Rows without rules between them: the table stays as tall as its content.
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/**
 * The summary as a table (cli-table3, without colours so that a CI log stays plain), with the verdict.
 * `width` is the terminal's (the values wrap to fit it).
 * @example
 * process.stdout.write(renderSummary(summary, process.stdout.columns));
 */
export function renderSummary(summary: DemoSummary, width = 100): string {
  const valueWidth = Math.max(40, Math.min(90, width - 24));
  const table = new Table({
    chars: COMPACT,
    style: { head: [], border: [] },
    colWidths: [21, valueWidth],
    wordWrap: true,
  });
  table.push(...summaryRows(summary));
  return `${table.toString()}\n${verdict(summary)}\n`;
}
