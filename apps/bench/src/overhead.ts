// In-process cost per request on a stub terminal fetch: no network, so what remains is the chain.
import { apiKey, bearer, hmac, oauth2 } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import { createFetch, type FetchFunction, type Middleware } from '@ferrule/core';
import { logging, metrics } from '@ferrule/observability';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import { createClient } from '@ferrule/transport';
import ky from 'ky';
import { measure } from 'mitata';
import { fullStack, fullStackSlots } from './stacks.ts';

const body = JSON.stringify({ id: 4711, name: 'Brass ferrule, 12 mm', price: { amount: 1299, currency: 'EUR' } });
const url = 'http://api.bench.test/products/4711?view=full';

const stub =
  (headers: Record<string, string>): FetchFunction =>
  async () =>
    new Response(body, { headers });
const uncacheable = stub({ 'content-type': 'application/json', 'cache-control': 'no-store' });
const cacheable = stub({ 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
const tokens: FetchFunction = async () =>
  Response.json({ access_token: 'bench-token-not-a-secret', token_type: 'Bearer', expires_in: 3600 });

/** One measured scenario: nanoseconds per call, and what that adds over the bare chain. */
export interface OverheadRow {
  scenario: string;
  nsPerCall: number;
  addedNs: number | undefined;
}

const dropLogs = { info() {}, debug() {}, warn() {}, error() {} };
const chain = (use: Middleware[], terminal = uncacheable) => createFetch({ use, fetch: terminal });

// A loop of calls on a stub that never yields to the event loop would keep every WeakRef target made
// in it alive (V8 keeps them until the job ends; undici's Request uses WeakRefs), piling up garbage no
// real client sees. Yielding every 256 calls, as network I/O does constantly, costs < 10 ns a call.
const yielding = (call: () => Promise<unknown>) => {
  let count = 0;
  return async () => {
    if (++count % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
    return call();
  };
};

async function nsPerCall(call: () => Promise<unknown>, measureMs: number): Promise<number> {
  const measured = yielding(call);
  for (let index = 0; index < 2_000; index++) await measured();
  const stats = await measure(measured, { min_cpu_time: measureMs * 1e6 });
  return stats.avg;
}

const read = (fetch: FetchFunction) => async () => (await fetch(url)).arrayBuffer();

export async function runOverhead(
  onProgress?: (line: string) => void,
  measureMs = 400,
): Promise<{ rows: OverheadRow[]; cacheHitsPerSecond: number }> {
  const scenarios: [string, () => Promise<unknown>][] = [
    ['stub fetch alone', read(uncacheable)],
    ['createFetch, no middleware', read(chain([]))],
    ['logging()', read(chain([logging({ logger: dropLogs })]))],
    ['metrics()', read(chain([metrics()]))],
    ['logging() + metrics()', read(chain([logging({ logger: dropLogs }), metrics()]))],
    ['cache(), miss path', read(chain([cache()]))],
    ['resilience(), defaults', read(chain([resilience()]))],
    ['resilience(), no timeouts', read(chain([resilience({ timeout: false })]))],
    [
      'rateLimit(), non-binding token bucket',
      read(chain([rateLimit({ policy: tokenBucket({ ratePerSecond: 1e6, burst: 1e6 }) })])),
    ],
    ['apiKey()', read(chain([apiKey({ header: 'x-api-key', value: 'bench-key' })]))],
    ['bearer()', read(chain([bearer('bench-token')]))],
    [
      'oauth2(), token cached',
      read(
        chain([
          oauth2({
            tokenUrl: 'http://auth.bench.test/token',
            clientId: 'bench',
            clientSecret: 'bench-secret-not-real',
            fetch: tokens,
          }),
        ]),
      ),
    ],
    ['hmac(), RFC 9421', read(chain([hmac({ keyId: 'bench', secret: 'bench-hmac-key-not-real' })]))],
    ['full stack (createFetch)', read(chain(fullStack()))],
    ['ky alone', async () => ky.get(url, { fetch: uncacheable }).arrayBuffer()],
    [
      'createClient, full stack',
      (() => {
        const api = createClient({ ...fullStackSlots(), fetch: uncacheable });
        return async () => api.get(url).arrayBuffer();
      })(),
    ],
  ];
  const rows: OverheadRow[] = [];
  let baseline = 0;
  let kyAlone = 0;
  for (const [scenario, call] of scenarios) {
    const ns = await nsPerCall(call, measureMs);
    if (scenario === 'createFetch, no middleware') baseline = ns;
    if (scenario === 'ky alone') kyAlone = ns;
    const reference =
      scenario === 'createClient, full stack'
        ? kyAlone
        : scenario.startsWith('stub') || scenario.startsWith('ky')
          ? undefined
          : baseline;
    rows.push({ scenario, nsPerCall: ns, addedNs: reference === undefined ? undefined : ns - reference });
    onProgress?.(`overhead ${scenario}: ${Math.round(ns)} ns/call`);
  }
  // Cache hits: 100 URLs, all fresh in the memory store after the first round.
  const hits = chain([cache()], cacheable);
  const urls = Array.from({ length: 100 }, (_, index) => `http://api.bench.test/products/${index}`);
  let next = 0;
  const hitNs = await nsPerCall(async () => (await hits(urls[next++ % urls.length] as string)).json(), measureMs);
  return { rows, cacheHitsPerSecond: 1e9 / hitNs };
}
