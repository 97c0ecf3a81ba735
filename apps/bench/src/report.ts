import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { SizeRow } from './bundle-size.ts';
import type { HttpRow } from './http-bench.ts';
import type { OverheadRow } from './overhead.ts';
import type { PrecisionRow } from './rate-limit-precision.ts';

export interface BenchResults {
  http: HttpRow[];
  overhead: OverheadRow[];
  cacheHitsPerSecond: number;
  sizes: SizeRow[];
  precision: PrecisionRow[];
  settings: { requests: Record<number, number>; rounds: number; concurrencies: number[] };
}

const version = (name: string) => {
  try {
    const manifest = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
};

const fixed = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

/** The machine and versions a run was made on. */
export function environment(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const peers = ['undici', 'ky', 'got', 'axios', 'ofetch', 'cockatiel', 'bottleneck', 'p-throttle'].map(
    (name) => `${name} ${version(name)}`,
  );
  return `${cpu}, ${cpus().length} cores, ${fixed(totalmem() / 2 ** 30)} GiB; Node ${process.versions.node}; ${peers.join(', ')}`;
}

export function renderReport(results: BenchResults, date = new Date()): string {
  const sections: string[] = [];
  sections.push(`Measured ${date.toISOString().slice(0, 10)} on ${environment()}.`);

  for (const concurrency of results.settings.concurrencies) {
    const rows = results.http.filter((row) => row.concurrency === concurrency);
    const fetchRps = rows.find((row) => row.client === 'fetch')?.medianRps ?? Number.NaN;
    const kyRps = rows.find((row) => row.client === 'ky')?.medianRps ?? Number.NaN;
    sections.push(
      `### HTTP, concurrency ${concurrency}\n\n${(results.settings.requests[concurrency] ?? 0).toLocaleString('en-US')} GETs of ~300 B JSON per run against a keep-alive server in another process; median of ${results.settings.rounds} interleaved rounds (min–max).\n\n${table(
        ['client', 'req/s', 'min–max', '× fetch', '× ky', 'p50 ms', 'p99 ms', 'peak RSS MB', 'errors'],
        rows.map((row) => [
          row.client,
          fixed(row.medianRps),
          `${fixed(row.minRps)}–${fixed(row.maxRps)}`,
          fixed(row.medianRps / fetchRps, 2),
          fixed(row.medianRps / kyRps, 2),
          fixed(row.p50Ms, 2),
          fixed(row.p99Ms, 2),
          fixed(row.peakRssMb),
          String(row.errors),
        ]),
      )}`,
    );
  }

  sections.push(
    `### In-process cost per request (stub fetch, no network)\n\n${table(
      ['scenario', 'ns per call', 'added ns'],
      results.overhead.map((row) => [
        row.scenario,
        fixed(row.nsPerCall),
        row.addedNs === undefined ? '' : fixed(row.addedNs),
      ]),
    )}\n\n"Added" is over \`createFetch\` with no middleware; for \`createClient\` it is over ky alone.\nCache hits from the memory store: **${fixed(results.cacheHitsPerSecond)} per second** (one at a time, body read as JSON).`,
  );

  sections.push(
    `### Bundle size (esbuild, minified, gzip -9)\n\n${table(
      ['bundle', 'bytes', 'what'],
      results.sizes.map((row) => [row.name, fixed(row.gzipBytes), row.note]),
    )}`,
  );

  sections.push(
    `### Rate-limit precision\n\nEach client is given the server's limit and sends as fast as it lets it, 8 at a time, against a server that refills ${results.precision[0]?.allowedPerSecond ?? '?'} tokens/s up to a burst of as many and answers 429 beyond.\n\n${table(
      ['client', 'allowed/s', 'achieved/s', 'of the most allowed', '429s', 'sent'],
      results.precision.map((row) => [
        row.client,
        String(row.allowedPerSecond),
        fixed(row.achievedPerSecond, 1),
        `${fixed(row.ratio * 100, 1)} %`,
        String(row.refused),
        String(row.sent),
      ]),
    )}`,
  );
  return `${sections.join('\n\n')}\n`;
}
