// `pnpm bench`: every measurement in one run, printed as markdown and written to results/latest.md.
//   --quick         fewer requests and one round (a smoke run, not figures to quote)
//   --only <a;b>    HTTP clients to run, by name
//   --skip <parts>  any of http,overhead,sizes,precision
//   --requests <n>, --rounds <n>, --measure-ms <n>   override the run's size (the test makes a tiny run)
// By default a run sends 20,000 requests per client at concurrency 64 and 5,000 at concurrency 1: one at a
// time, the slow clients manage ~1,000 requests per second on two cores, and 20,000 each would take the
// whole run past ten minutes without moving a median.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBundleSizes } from './bundle-size.ts';
import { runHttpBench, startBenchServer } from './http-bench.ts';
import { runOverhead } from './overhead.ts';
import { runRateLimitPrecision } from './rate-limit-precision.ts';
import { type BenchResults, renderReport } from './report.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    out: { type: 'string', default: new URL('../results/latest.md', import.meta.url).pathname },
    requests: { type: 'string' },
    rounds: { type: 'string' },
    'measure-ms': { type: 'string' },
  },
});
const skip = new Set(values.skip.split(',').filter(Boolean));
const quick = values.quick;
const log = (line: string) => console.error(`[bench ${Math.round(performance.now() / 1000)}s] ${line}`);

const requests = values.requests === undefined ? undefined : Number(values.requests);
const settings = {
  requests: { 1: requests ?? (quick ? 500 : 5_000), 64: requests ?? (quick ? 2_000 : 20_000) },
  rounds: Number(values.rounds ?? (quick ? 1 : 3)),
  concurrencies: [1, 64],
};
const results: BenchResults = {
  http: [],
  overhead: [],
  cacheHitsPerSecond: Number.NaN,
  sizes: [],
  precision: [],
  settings,
};

if (!skip.has('http')) {
  const server = await startBenchServer();
  try {
    results.http = await runHttpBench(server.url, {
      ...settings,
      warmup: quick ? 200 : 1_000,
      ...(values.only && { only: values.only.split(';') }),
      onProgress: log,
    });
  } finally {
    server.stop();
  }
}
if (!skip.has('overhead')) {
  const overhead = await runOverhead(log, Number(values['measure-ms'] ?? (quick ? 150 : 400)));
  results.overhead = overhead.rows;
  results.cacheHitsPerSecond = overhead.cacheHitsPerSecond;
}
if (!skip.has('sizes')) {
  log('bundle sizes');
  results.sizes = await runBundleSizes();
}
if (!skip.has('precision')) {
  log('rate-limit precision');
  results.precision = await runRateLimitPrecision({
    ratePerSecond: 50,
    durationMs: quick ? 2_000 : 4_000,
    concurrency: 8,
  });
}

const report = renderReport(results);
console.log(report);
mkdirSync(new URL('.', `file://${values.out}`), { recursive: true });
writeFileSync(values.out, report);
writeFileSync(values.out.replace(/\.md$/, '.json'), `${JSON.stringify(results, null, 2)}\n`);
log(`written to ${values.out}`);
