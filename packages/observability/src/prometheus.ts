import type { MetricsSnapshot, SeriesSnapshot } from './metrics.ts';

type Labels = Record<string, string>;
type Sample = [labels: Labels, value: number, suffix?: string];

// Text exposition format 0.0.4: a label value escapes backslash, double quote and line feed.
const escapeLabel = (value: string) => value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));

const QUANTILES = [
  ['0.5', 'p50Ms'],
  ['0.95', 'p95Ms'],
  ['0.99', 'p99Ms'],
] as const;

// The families with one sample per series: name, type, help, and the samples of one series.
const SERIES_FAMILIES: [string, string, string, (entry: SeriesSnapshot, labels: Labels) => Sample[]][] = [
  ['calls_total', 'counter', 'Logical calls.', (entry, labels) => [[labels, entry.calls]]],
  [
    'call_duration_seconds',
    'summary',
    'Duration of logical calls up to the response headers, retries and waits included.',
    ({ latency }, labels) => [
      ...QUANTILES.map(([quantile, key]): Sample => [{ ...labels, quantile }, latency[key] / 1000]),
      [labels, latency.sumMs / 1000, '_sum'],
      [labels, latency.count, '_count'],
    ],
  ],
  ['attempts_total', 'counter', 'Network attempts.', (entry, labels) => [[labels, entry.attempts]]],
  [
    'rate_limit_wait_seconds_total',
    'counter',
    'Time spent waiting for the rate limiter.',
    (entry, labels) => [[labels, entry.rateLimitWaitMs / 1000]],
  ],
  [
    'cache_total',
    'counter',
    'Calls by cache status.',
    (entry, labels) => Object.entries(entry.cache).map(([status, n]) => [{ ...labels, cache_status: status }, n]),
  ],
  [
    'events_total',
    'counter',
    'Events of the layers below, by type.',
    (entry, labels) => Object.entries(entry.events).map(([event, n]) => [{ ...labels, event }, n]),
  ],
];

/** A metrics snapshot in the Prometheus text exposition format (0.0.4); durations in seconds. */
export function toPrometheus({ series, circuits }: MetricsSnapshot, namespace: string): string {
  let text = '';
  const family = (name: string, type: string, help: string, samples: Sample[]) => {
    const metric = `${namespace}_http_client_${name}`;
    text += `# HELP ${metric} ${help}\n# TYPE ${metric} ${type}\n`;
    for (const [labels, value, suffix = ''] of samples) {
      const pairs = Object.entries(labels).map(([label, text]) => `${label}="${escapeLabel(text)}"`);
      text += `${metric}${suffix}{${pairs.join(',')}} ${value}\n`;
    }
  };
  for (const [name, type, help, samplesOf] of SERIES_FAMILIES) {
    const samples = series.flatMap((entry) =>
      samplesOf(entry, { route: entry.route, method: entry.method, status_class: entry.statusClass }),
    );
    family(name, type, help, samples);
  }
  const circuitEntries = Object.entries(circuits);
  family(
    'circuit_state',
    'gauge',
    'Whether a circuit is in this state.',
    circuitEntries.flatMap(([circuit, { state }]) =>
      (['closed', 'open', 'half-open'] as const).map((each): Sample => [{ circuit, state: each }, +(each === state)]),
    ),
  );
  family(
    'circuit_transitions_total',
    'counter',
    'Circuit state changes.',
    circuitEntries.map(([circuit, { transitions }]) => [{ circuit }, transitions]),
  );
  return text;
}
