// Runs one client against the benchmark server in a process of its own, so that its peak RSS and its
// JIT state are its own. Reports { requestsPerSecond, p50Ms, p99Ms, maxRssMb, errors } over IPC.
import { clients } from './clients.ts';
import { quantile } from './stats.ts';

const [name, url, totalText, concurrencyText, warmupText] = process.argv.slice(2);
const total = Number(totalText);
const concurrency = Number(concurrencyText);
const warmup = Number(warmupText);

const factory = clients.find((candidate) => candidate.name === name);
if (!factory || !url) throw new Error(`unknown client ${name}`);
const client = await factory.create(url);

async function drive(count: number, latencies?: Float64Array) {
  let next = 0;
  let errors = 0;
  const loop = async () => {
    for (let index = next++; index < count; index = next++) {
      const startMs = performance.now();
      try {
        await client.get();
      } catch {
        errors++;
      }
      if (latencies) latencies[index] = performance.now() - startMs;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return errors;
}

await drive(warmup);
globalThis.gc?.();
const latencies = new Float64Array(total);
const startMs = performance.now();
const errors = await drive(total, latencies);
const elapsedMs = performance.now() - startMs;
latencies.sort();
await client.close();
process.send?.({
  requestsPerSecond: (total / elapsedMs) * 1000,
  p50Ms: quantile(latencies, 0.5),
  p99Ms: quantile(latencies, 0.99),
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  errors,
});
process.disconnect?.();
