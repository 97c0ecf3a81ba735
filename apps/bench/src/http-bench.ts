// HTTP throughput and latency: every client against one keep-alive server in a separate process,
// round by round, interleaving the clients so that machine drift hits all alike.
import { type ChildProcess, fork } from 'node:child_process';
import { clients } from './clients.ts';
import { median } from './stats.ts';

interface RunResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxRssMb: number;
  errors: number;
}

/** One client's figures at one concurrency, over all rounds. */
export interface HttpRow {
  client: string;
  concurrency: number;
  medianRps: number;
  minRps: number;
  maxRps: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  errors: number;
}

export interface HttpBenchOptions {
  /** Requests per run, by concurrency. */
  requests: Record<number, number>;
  warmup: number;
  rounds: number;
  concurrencies: number[];
  only?: string[];
  onProgress?: (line: string) => void;
}

const workerUrl = new URL('./http-worker.ts', import.meta.url);
const serverUrl = new URL('./server.ts', import.meta.url);
const execArgv = ['--conditions=@ferrule/source', '--expose-gc'];

function message<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (value) => resolve(value as T));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`process exited with ${code} before answering`)));
  });
}

/** Starts the benchmark server; resolves its URL and a stop function. */
export async function startBenchServer(): Promise<{ url: string; bodyBytes: number; stop: () => void }> {
  const child = fork(serverUrl, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port, bodyBytes } = await message<{ port: number; bodyBytes: number }>(child);
  return { url: `http://127.0.0.1:${port}/products/4711`, bodyBytes, stop: () => child.kill() };
}

async function runOnce(client: string, url: string, concurrency: number, options: HttpBenchOptions) {
  const requests = options.requests[concurrency] ?? 0;
  const warmup = Math.min(options.warmup, requests);
  const child = fork(workerUrl, [client, url, String(requests), String(concurrency), String(warmup)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return message<RunResult>(child);
}

export async function runHttpBench(url: string, options: HttpBenchOptions): Promise<HttpRow[]> {
  const names = clients.map((client) => client.name).filter((name) => !options.only || options.only.includes(name));
  const results = new Map<string, RunResult[]>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const concurrency of options.concurrencies) {
      for (const name of names) {
        const result = await runOnce(name, url, concurrency, options);
        const key = `${name}\u0000${concurrency}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        options.onProgress?.(
          `round ${round}/${options.rounds} c=${concurrency} ${name}: ${Math.round(result.requestsPerSecond)} req/s`,
        );
      }
    }
  }
  return [...results].map(([key, runs]) => {
    const [client = '', concurrency = '0'] = key.split('\u0000');
    const rps = runs.map((run) => run.requestsPerSecond);
    return {
      client,
      concurrency: Number(concurrency),
      medianRps: median(rps),
      minRps: Math.min(...rps),
      maxRps: Math.max(...rps),
      p50Ms: median(runs.map((run) => run.p50Ms)),
      p99Ms: median(runs.map((run) => run.p99Ms)),
      peakRssMb: Math.max(...runs.map((run) => run.maxRssMb)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
    };
  });
}
