import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFetch } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { afterEach, expect, it, vi } from 'vitest';
import { fileCacheStore } from './file/index.ts';
import { cache, cacheStatus } from './index.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

const api = () =>
  createTestServer({
    'GET /products/*': (_request, { count }) => ({
      json: { id: 42, count },
      headers: { 'cache-control': 'max-age=60' },
    }),
  });

it('runs the README example: memory cache with stale-if-error', async () => {
  const server = await api();
  const logged: string[][] = [];
  vi.spyOn(console, 'log').mockImplementation((...line: string[]) => void logged.push(line));

  // --- README example (API URL pointed at the local server) ---
  const fetch = createFetch({ use: [cache({ staleIfErrorMs: 5 * 60_000 })] });

  const first = await fetch(`${server.url}/products/42`); // from the network, stored as it streams
  const again = await fetch(`${server.url}/products/42`); // from the cache while it is fresh
  console.log(cacheStatus(first), cacheStatus(again)); // 'miss' 'hit'
  // --- end of example ---

  expect(logged).toEqual([['miss', 'hit']]);
  expect(await again.json()).toEqual({ id: 42, count: 1 });
  expect(server.requests).toHaveLength(1);
});

it('runs the README example: TTL rules for an API without caching headers', async () => {
  const server = await createTestServer({ 'GET /products/*': (_request, { count }) => ({ json: { count } }) });

  // --- README example ---
  const fetch = createFetch({
    use: [cache({ mode: 'ttl', rules: [{ match: 'GET /products/*', ttlMs: 60_000 }] })],
  });
  // --- end of example ---

  expect(await (await fetch(`${server.url}/products/1`)).json()).toEqual({ count: 1 });
  expect(await (await fetch(`${server.url}/products/1`)).json()).toEqual({ count: 1 });
  expect(server.requests).toHaveLength(1);
});

it('runs the README per-call options and the fetch cache option', async () => {
  const server = await api();
  const fetch = createFetch({ use: [cache()] });
  const url = `${server.url}/products/7`;
  await (await fetch(url)).json();

  // --- README example ---
  await fetch(url, { ferrule: { cache: { bypass: true } } }); // neither read nor write the cache
  await fetch(url, { ferrule: { cache: { ttlMs: 30_000 } } }); // keep this response 30 s, like a rule
  // --- end of example ---
  const noStore = await fetch(url, { cache: 'no-store' });

  expect(cacheStatus(noStore)).toBe('bypass');
  expect(server.requests.length).toBe(3);
});

it('runs the README file store example', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'ferrule-readme-'));
  const server = await api();
  try {
    // --- README example (directory in the OS temp folder) ---
    const fetch = createFetch({ use: [cache({ store: fileCacheStore({ directory }) })] });
    // --- end of example ---
    await (await fetch(`${server.url}/products/1`)).json();
    // The URL's record and its response's record are on disk.
    await waitUntil(async () => (await readdir(directory)).length === 2);
    expect(cacheStatus(await fetch(`${server.url}/products/1`))).toBe('hit');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
