import { spawn } from 'node:child_process';
import { createTestServer, type RecordedRequest } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import type { DemoSummary } from '../src/summary.ts';
import { startApi } from './helpers.ts';

const APP = new URL('..', import.meta.url).pathname;
const RUN_MS = 45_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Runs `pnpm demo`'s command as a child process, as CI does: stdout and stderr are pipes, not terminals.
function demo(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@ferrule/source', 'src/main.ts', ...args], {
      cwd: APP,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // The demo must end by itself: a dangling timer or socket would keep it alive past this.
    const guard = setTimeout(() => child.kill('SIGKILL'), RUN_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

const summaryOf = (run: Run) => JSON.parse(run.stdout) as DemoSummary;

const exactlyOnce = (expected: number) => ({
  expected,
  listed: expected,
  stored: expected,
  missing: 0,
  duplicated: 0,
  different: 0,
  failures: [],
  ok: true,
});

describe('pnpm demo', () => {
  it('syncs every item exactly once through 429s, faults, an outage and token refreshes, and exits 0', {
    timeout: RUN_MS,
  }, async () => {
    const run = await demo(['--items', '60', '--rate', '200', '--json']);
    expect(run.code).toBe(0);
    const summary = summaryOf(run);
    expect(summary.ok).toBe(true);
    expect(summary.sync).toEqual({ first: exactlyOnce(60), second: exactlyOnce(60), categories: exactlyOnce(6) });
    expect(summary.writes).toMatchObject({ sent: 5, confirmed: 5, appliedOnce: 5, ok: true });
    expect(summary.server?.writes.applied).toBe(5);
    // The API allows 50 requests per second: a client set to 200 is refused, and waits.
    expect(summary.client.responses429).toBeGreaterThan(0);
    expect(summary.client.rateLimitPauses).toBeGreaterThan(0);
    // Tokens live 3 s: refreshed during the run, and once revoked by the API's chaos.
    expect(summary.client.auth.tokenRefreshes).toBeGreaterThan(0);
    expect(summary.client.auth.replays).toBeGreaterThan(0);
    // The re-sync finds nothing changed but the written products: 304s, and category pages still fresh.
    expect(summary.client.cache.revalidated).toBeGreaterThanOrEqual(55);
    expect(summary.client.cache.hits).toBeGreaterThan(0);
    expect(summary.client.retries).toBeGreaterThan(0);
    expect(summary.client.circuit.states.slice(0, 2)).toEqual(['closed', 'open']);
    expect(summary.client.circuit.states.at(-1)).toBe('closed');
    expect(summary.secrets).toEqual({ scanned: expect.any(Number), leaks: 0 });
    expect(summary.secrets.scanned).toBeGreaterThan(200);
    // Not a terminal: plain progress lines on stderr, no escape codes anywhere.
    expect(run.stderr).toMatch(/^sync: 60\/60 done in/m);
    expect(run.stderr + run.stdout).not.toContain('\u001b');
  });

  it('meets the same faults again with the same seed', { timeout: 2 * RUN_MS }, async () => {
    const args = ['--chaos', '0.3', '--seed', '7', '--items', '40', '--rate', '100', '--json'];
    const [first, second] = [summaryOf(await demo(args)), summaryOf(await demo(args))];
    for (const summary of [first, second]) {
      expect(summary.ok).toBe(true);
      expect(summary.sync.second).toEqual(exactlyOnce(40));
      expect(summary.client.retries).toBeGreaterThan(0);
    }
    const { outage: _first, ...seeded } = first.server?.faults ?? { outage: 0 };
    const { outage: _second, ...again } = second.server?.faults ?? { outage: 0 };
    expect(again).toEqual(seeded);
    expect(Object.values(seeded).every((count) => count > 0)).toBe(true);
  });

  it('runs against a real API given with --target, and prints the summary table', { timeout: RUN_MS }, async () => {
    const api = await startApi({ items: 30, seed: 3 });
    const { clientId, clientSecret, keyId, signingSecret } = api.credentials;
    const run = await demo(['--target', api.url, '--rate', '200'], {
      CATALOGUE_CLIENT_ID: clientId,
      CATALOGUE_CLIENT_SECRET: clientSecret,
      CATALOGUE_KEY_ID: keyId,
      CATALOGUE_SIGNING_SECRET: signingSecret,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Target API at ${api.url}/`);
    expect(run.stdout).toMatch(/items synced\s+│ 30\/30 verified against the totals the API reported: 0 missing, 0\s/);
    expect(run.stdout).toMatch(/writes\s+│ 5 sent, 5 applied exactly once/);
    expect(run.stdout).toContain('OK: every item synced exactly once');
    expect(api.stats()).toMatchObject({ writes: { applied: 5 }, signatures: { verified: 5, rejected: {} } });
    expect(run.stdout + run.stderr).not.toContain(clientSecret);
  });

  it('exits 1 when an API lists an item twice', { timeout: RUN_MS }, async () => {
    const products = new Map(
      [1, 2].map((id) => [
        id,
        {
          id,
          sku: `S-${id}`,
          name: 'ferrule',
          category: 'c1',
          priceCents: 100,
          stock: 1,
          version: 1,
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      ]),
    );
    const productOf = (request: RecordedRequest) =>
      products.get(Number(request.url.split('/').at(-1))) as typeof products extends Map<number, infer P> ? P : never;
    const server = await createTestServer({
      'POST /oauth/token': {
        json: { access_token: 'token-for-the-duplicating-api', token_type: 'Bearer', expires_in: 60 },
      },
      'GET /categories': { json: [{ id: 'c1', name: 'Fittings' }], headers: { 'x-total-count': '1' } },
      'GET /products': {
        json: {
          data: [
            { id: 1, version: 1 },
            { id: 2, version: 1 },
            { id: 1, version: 1 },
          ],
          next_cursor: null,
          total: 2,
        },
      },
      'GET /products/:id': (request) => ({ json: productOf(request) }),
      'PATCH /products/:id': (request) => {
        const product = productOf(request);
        Object.assign(product, request.json(), { version: product.version + 1 });
        return { json: product };
      },
    });
    const run = await demo(['--target', server.url, '--json'], {
      CATALOGUE_CLIENT_ID: 'demo',
      CATALOGUE_CLIENT_SECRET: 'client-secret-of-the-test',
      CATALOGUE_KEY_ID: 'demo-key',
      CATALOGUE_SIGNING_SECRET: 'signing-secret-of-the-test',
    });
    expect(run.code).toBe(1);
    const summary = summaryOf(run);
    expect(summary.ok).toBe(false);
    expect(summary.sync.first).toMatchObject({ expected: 2, stored: 2, duplicated: 1, ok: false });
    expect(summary.writes.ok).toBe(true);
  });

  it.each([
    [['--chaos', '2'], '--chaos expects a fraction from 0 to 1'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--target', 'http://127.0.0.1:9'], '--target needs CATALOGUE_CLIENT_ID, CATALOGUE_CLIENT_SECRET'],
  ])('exits 2 on %j and says why, with nothing on stdout', async (args, message) => {
    const run = await demo(args, { CATALOGUE_CLIENT_ID: '', CATALOGUE_CLIENT_SECRET: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('pnpm demo --help');
    expect(run.stdout).toBe('');
  });

  it('stops at once on Ctrl-C and exits 130', { timeout: RUN_MS }, async () => {
    const child = spawn(process.execPath, ['--conditions=@ferrule/source', 'src/main.ts', '--json'], {
      cwd: APP,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      const underWay = /^sync: /m.test(stderr);
      stderr += chunk;
      // Interrupt once, as soon as the sync is under way (a second Ctrl-C would kill it outright).
      if (!underWay && /^sync: /m.test(stderr)) child.kill('SIGINT');
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), RUN_MS);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    expect(code).toBe(130);
    expect(stderr).toContain('demo: interrupted');
  });

  it('prints every flag with --help and exits 0', async () => {
    const run = await demo(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--chaos', '--rate', '--items', '--seed', '--json', '--target', '--help']) {
      expect(run.stdout).toContain(flag);
    }
  });
});
