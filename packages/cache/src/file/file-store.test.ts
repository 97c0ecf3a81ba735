import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CacheRecord, createFakeClock, createFetch, type FerruleEvent, isStoreError } from '@ferrule/core';
import { createTestServer, describeCacheStore, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cache } from '../cache.ts';
import { cacheStatus } from '../stored-response.ts';
import { fileCacheStore } from './file-store.ts';

const directories: string[] = [];
const freshDirectory = async () => {
  const directory = await mkdtemp(join(tmpdir(), 'ferrule-file-store-'));
  directories.push(directory);
  return directory;
};
const removeDirectories = async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
};

describeCacheStore(
  'fileCacheStore',
  async ({ clock }) => fileCacheStore({ directory: await freshDirectory(), clock }),
  {
    cleanup: removeDirectories,
  },
);

const record = (text: string, bytes = 0): CacheRecord => ({ metadata: { text }, body: new Uint8Array(bytes).fill(7) });
const entries = async (directory: string) => (await readdir(directory)).filter((name) => !name.endsWith('.tmp'));

describe('fileCacheStore', () => {
  it('keeps entries across instances, as across processes and restarts', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    await fileCacheStore({ directory }).set('GET https://api.test/a', record('a', 3));
    const later = fileCacheStore({ directory });
    expect(await later.get('GET https://api.test/a')).toEqual({
      metadata: { text: 'a' },
      body: new Uint8Array([7, 7, 7]),
    });
  });

  it('names files by a hash of the key, so no key (and no URL) appears on disk', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    await fileCacheStore({ directory }).set('https://api.test/private?x=1', record('a'));
    const [name] = await entries(directory);
    expect(name).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats a truncated, corrupt or foreign file as a miss and removes it', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const store = fileCacheStore({ directory });
    await store.set('key', record('intact', 64));
    const [name] = await entries(directory);
    const path = join(directory, name as string);
    const intact = await readFile(path);
    const damaged = [
      intact.subarray(0, intact.byteLength - 1),
      Buffer.concat([intact, Buffer.from([0])]),
      Buffer.from(intact).fill(0xff, 40, 41),
      Buffer.from('not an entry at all'),
      Buffer.alloc(0),
    ];
    for (const bytes of damaged) {
      await writeFile(path, bytes);
      const fresh = fileCacheStore({ directory });
      expect(await fresh.get('key')).toBeUndefined();
      await expect(stat(path)).rejects.toThrow();
    }
  });

  it('never answers one key with the entry of another', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const store = fileCacheStore({ directory });
    await store.set('a', record('a'));
    await store.set('b', record('b'));
    const [first, second] = await entries(directory);
    // Swap the two files: each now holds the other key.
    const [one, two] = await Promise.all([
      readFile(join(directory, first as string)),
      readFile(join(directory, second as string)),
    ]);
    await writeFile(join(directory, first as string), two);
    await writeFile(join(directory, second as string), one);
    expect(await fileCacheStore({ directory }).get('a')).toBeUndefined();
  });

  it('writes through a temporary file and a rename, and clears temporary files a crash left behind', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const clock = createFakeClock(0);
    const leftover = join(directory, `${'0'.repeat(64)}.123.abc.tmp`);
    await writeFile(leftover, 'half an entry');
    const old = new Date(Date.now() - 120_000);
    await utimes(leftover, old, old);
    const recent = join(directory, `${'1'.repeat(64)}.456.def.tmp`);
    await writeFile(recent, 'being written right now');
    const store = fileCacheStore({ directory, clock });
    await store.set('key', record('whole', 1024));
    const names = await readdir(directory);
    expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([`${'1'.repeat(64)}.456.def.tmp`]);
    expect((await store.get('key'))?.body.byteLength).toBe(1024);
  });

  it('removes the least recently used entries beyond maxBytes', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const store = fileCacheStore({ directory, maxBytes: 3_000 });
    await store.set('a', record('a', 900));
    await store.set('b', record('b', 900));
    await store.set('c', record('c', 900));
    await store.get('a');
    await store.set('d', record('d', 900));
    expect(await store.get('b')).toBeUndefined();
    expect((await Promise.all(['a', 'c', 'd'].map((key) => store.get(key)))).every(Boolean)).toBe(true);
    expect(store.sizeBytes).toBeLessThanOrEqual(3_000);
    expect(await entries(directory)).toHaveLength(3);
  });

  it('counts what was on disk when it started, oldest first', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const first = fileCacheStore({ directory });
    await first.set('new', record('new', 900));
    await first.set('old', record('old', 900));
    const hour = new Date(Date.now() - 3_600_000);
    await utimes(join(directory, createHash('sha256').update('old').digest('hex')), hour, hour);
    const restarted = fileCacheStore({ directory, maxBytes: 2_000 });
    await restarted.set('newest', record('newest', 900));
    expect(await restarted.get('old')).toBeUndefined();
    expect(await restarted.get('new')).toBeDefined();
  });

  it('stores nothing larger than maxBytes, and expires entries by its clock', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const clock = createFakeClock(0);
    const store = fileCacheStore({ directory, maxBytes: 500, clock });
    await store.set('huge', record('huge', 1_000));
    expect(await store.get('huge')).toBeUndefined();
    await store.set('short', record('short'), { ttlMs: 100 });
    await clock.advance(100);
    expect(await store.get('short')).toBeUndefined();
    expect(await entries(directory)).toEqual([]);
  });

  it('tries to learn the directory again after a failure', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const blocked = join(directory, 'later');
    await writeFile(blocked, 'a file where the directory should be');
    const store = fileCacheStore({ directory: blocked });
    expect(isStoreError(await store.get('key').catch((error: unknown) => error))).toBe(true);
    await rm(blocked);
    await store.set('key', record('works now'));
    expect((await store.get('key'))?.metadata).toEqual({ text: 'works now' });
  });

  it('fails with a StoreError when it cannot write, and needs a directory', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    await writeFile(join(directory, 'file'), 'a file, not a directory');
    const store = fileCacheStore({ directory: join(directory, 'file', 'below') });
    const error = await store.set('key', record('x')).catch((caught: unknown) => caught);
    expect(isStoreError(error)).toBe(true);
    expect(() => fileCacheStore({ directory: '' })).toThrow(/directory/);
  });
});

describe('cache over the file store', () => {
  it('answers from disk after a restart, and treats a corrupted entry as a miss', async () => {
    const directory = await freshDirectory();
    onTestFinished(removeDirectories);
    const server = await createTestServer({
      'GET /report': (_request, { count }) => ({
        body: `report ${count}`,
        headers: { 'cache-control': 'max-age=600' },
      }),
    });
    const clock = createFakeClock(Date.now());
    const start = () => {
      const events: FerruleEvent[] = [];
      const fetch = createFetch({
        use: [cache({ store: fileCacheStore({ directory, clock }) })],
        clock,
        onEvent: (event) => events.push(event),
      });
      return { fetch, events };
    };
    const before = start();
    await (await before.fetch(`${server.url}/report`)).text();
    await waitUntil(() => before.events.some((event) => event.type === 'cache' && event.status === 'stored'));
    const after = start();
    const hit = await after.fetch(`${server.url}/report`);
    expect([cacheStatus(hit), await hit.text()]).toEqual(['hit', 'report 1']);
    for (const name of await entries(directory)) {
      const path = join(directory, name);
      const bytes = await readFile(path);
      await writeFile(path, bytes.subarray(0, bytes.byteLength - 3));
    }
    const again = start();
    const miss = await again.fetch(`${server.url}/report`);
    expect([cacheStatus(miss), await miss.text()]).toEqual(['miss', 'report 2']);
    await waitUntil(() => again.events.some((event) => event.type === 'cache' && event.status === 'stored'));
  });
});
