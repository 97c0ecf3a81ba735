import type { FerruleEvent } from '@ferrule/core';
import { type ApiCredentials, type CatalogueApi, startCatalogueApi } from './api/server.ts';
import { type Settings, UsageError } from './args.ts';
import { createCatalogueClient } from './client.ts';
import { createProgress } from './progress.ts';
import { createRecovery } from './recover.ts';
import { secretScan } from './secrets.ts';
import { type DemoSummary, summarize } from './summary.ts';
import { syncCatalogue } from './sync.ts';
import { createTally } from './tally.ts';
import { checkCategories, checkProducts, checkWrites } from './verify.ts';
import { writeUpdates } from './writes.ts';

/** Where a run writes, and what can stop it. */
export interface RunIo {
  /** Progress goes here (bars when it is a terminal, plain lines otherwise). */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  /** Notes about the run (never stdout with `--json`). */
  log: (line: string) => void;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** The requests per second the embedded API allows. */
const API_RATE_PER_SECOND = 50;
/** How many products the run writes to. */
const WRITES = 5;
// Rounds of the sync loop's recovery for one call: enough to outlast the outage and a reopened circuit.
const MAX_ROUNDS = 8;

/** For `--target`: the credentials come from the environment, never from flags (they would show in `ps`). */
function credentialsFromEnv(env: NodeJS.ProcessEnv, target: string): ApiCredentials & { tokenUrl: string } {
  const names = ['CATALOGUE_CLIENT_ID', 'CATALOGUE_CLIENT_SECRET', 'CATALOGUE_KEY_ID', 'CATALOGUE_SIGNING_SECRET'];
  const absent = names.filter((name) => !env[name]);
  if (absent.length) throw new UsageError(`--target needs ${absent.join(', ')} in the environment`);
  return {
    clientId: env.CATALOGUE_CLIENT_ID as string,
    clientSecret: env.CATALOGUE_CLIENT_SECRET as string,
    keyId: env.CATALOGUE_KEY_ID as string,
    signingSecret: env.CATALOGUE_SIGNING_SECRET as string,
    tokenUrl: env.CATALOGUE_TOKEN_URL ?? new URL('oauth/token', target).href,
  };
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/**
 * Runs the demo: starts the embedded API (unless `target`), syncs the catalogue, writes updates, syncs
 * again through the cache, verifies everything against the API, and sums it up. Everything it started
 * is closed before it returns, whatever happened.
 * @example
 * const summary = await runDemo(settings, { progress: process.stderr, log: console.log, signal, env: process.env });
 */
export async function runDemo(settings: Settings, io: RunIo): Promise<DemoSummary> {
  const startMs = performance.now();
  const credentials = settings.target ? credentialsFromEnv(io.env, settings.target) : undefined;
  const api: CatalogueApi | undefined = settings.target
    ? undefined
    : await startCatalogueApi({ ...settings, ratePerSecond: API_RATE_PER_SECOND });
  const baseUrl = withSlash(settings.target ?? (api as CatalogueApi).url);
  const access = credentials ?? { ...(api as CatalogueApi).credentials, tokenUrl: `${baseUrl}oauth/token` };
  const scan = secretScan([access.clientSecret, access.signingSecret]);
  const tally = createTally();
  const onEvent = (event: FerruleEvent) => {
    tally.onEvent(event);
    scan.scan(JSON.stringify(event));
  };
  const client = createCatalogueClient({ ...access, baseUrl, ratePerSecond: settings.ratePerSecond, onEvent, scan });
  const recovery = createRecovery(io.signal, MAX_ROUNDS);
  const live = () => {
    const { retries, responses429, cache, auth } = tally.snapshot();
    return `retries ${retries} · 429s ${responses429} · 304s ${cache.revalidated} · tokens ${auth.tokensFetched + auth.tokenRefreshes}`;
  };
  const progress = createProgress({ stream: io.progress, interactive: io.progress.isTTY === true, live });
  io.log(
    api
      ? `Embedded catalogue API at ${api.url}: ${settings.items} products, ${API_RATE_PER_SECOND} requests/s, chaos ${settings.chaos}, seed ${settings.seed}`
      : `Target API at ${baseUrl}`,
  );
  try {
    const syncOptions = { client, baseUrl, signal: io.signal, recovery, onEvent };
    const first = progress.step('sync', settings.items);
    const firstSync = await syncCatalogue({ ...syncOptions, progress: first });
    // An interrupted step records its calls as failed: stop there rather than sum them up.
    io.signal.throwIfAborted();
    first.done();
    const before = api?.catalogue();
    const writing = progress.step('writes', Math.min(WRITES, firstSync.products.size));
    const written = await writeUpdates({
      client,
      synced: firstSync,
      count: WRITES,
      seed: settings.seed,
      signal: io.signal,
      recovery,
      progress: writing,
    });
    io.signal.throwIfAborted();
    writing.done();
    const second = progress.step('re-sync', firstSync.reported.products ?? settings.items);
    const secondSync = await syncCatalogue({ ...syncOptions, progress: second });
    io.signal.throwIfAborted();
    second.done();
    progress.stop();
    const after = api?.catalogue();
    const server = api?.stats() ?? null;
    const sync = {
      first: checkProducts(firstSync, before),
      second: checkProducts(secondSync, after),
      categories: checkCategories(secondSync, after),
    };
    const writes = checkWrites(written, secondSync, server?.writes.applied);
    for (const failure of [firstSync, secondSync, writes].flatMap(({ failures }) => failures)) scan.scan(failure);
    return summarize({
      settings,
      apiRatePerSecond: api ? API_RATE_PER_SECOND : null,
      durationMs: performance.now() - startMs,
      metrics: client.metrics.snapshot(),
      tally: tally.snapshot(),
      recovered: recovery.stats,
      logRecords: client.logged,
      server,
      sync,
      writes,
      secrets: scan.stats,
    });
  } finally {
    progress.stop();
    await client.close();
    await api?.close();
  }
}
