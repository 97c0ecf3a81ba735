import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { type CacheRecord, type CacheStore, type Clock, StoreError, systemClock } from '@ferrule/core';

/**
 * Options of {@link fileCacheStore}.
 * @example
 * fileCacheStore({ directory: '.cache/http', maxBytes: 64 * 1024 * 1024 });
 */
export interface FileCacheStoreOptions {
  /** The directory entries are kept in, one file each; created when needed. */
  directory: string;
  /** The least recently used entries are removed beyond this many bytes on disk. @default 268_435_456 (256 MiB) */
  maxBytes?: number;
  /** The clock that expires entries. @default systemClock */
  clock?: Clock;
}

/**
 * A cache store on disk, persistent across processes and restarts.
 * @example
 * const store: FileCacheStore = fileCacheStore({ directory: '.cache/http' });
 */
export interface FileCacheStore extends CacheStore {
  readonly name: 'file';
  /** How many bytes the entries this process knows of take on disk. */
  readonly sizeBytes: number;
}

// An entry file: MAGIC, then three big-endian uint32s (header length, body length, CRC-32 of what
// follows them), then the header as JSON ({ key, expiresAtMs, metadata }), then the body bytes.
const MAGIC = Buffer.from('FRC1');
const PREAMBLE_BYTES = 16;
const TEMP_SUFFIX = '.tmp';
const STALE_TEMP_MS = 60_000;

interface Header {
  key: string;
  expiresAtMs: number | null;
  metadata: Record<string, unknown>;
}

function encode(header: Header, body: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const file = Buffer.alloc(PREAMBLE_BYTES + json.byteLength + body.byteLength);
  MAGIC.copy(file, 0);
  file.writeUInt32BE(json.byteLength, 4);
  file.writeUInt32BE(body.byteLength, 8);
  json.copy(file, PREAMBLE_BYTES);
  file.set(body, PREAMBLE_BYTES + json.byteLength);
  file.writeUInt32BE(crc32(file.subarray(PREAMBLE_BYTES)), 12);
  return file;
}

/** The entry in a file, or `undefined` when the file is truncated, corrupt or holds another key. */
function decode(file: Buffer, key: string): { header: Header; body: Uint8Array } | undefined {
  if (file.byteLength < PREAMBLE_BYTES || !file.subarray(0, 4).equals(MAGIC)) return undefined;
  const headerBytes = file.readUInt32BE(4);
  const bodyBytes = file.readUInt32BE(8);
  if (file.byteLength !== PREAMBLE_BYTES + headerBytes + bodyBytes) return undefined;
  if (crc32(file.subarray(PREAMBLE_BYTES)) !== file.readUInt32BE(12)) return undefined;
  try {
    const header = JSON.parse(file.toString('utf8', PREAMBLE_BYTES, PREAMBLE_BYTES + headerBytes)) as Header;
    if (header?.key !== key || typeof header.metadata !== 'object' || header.metadata === null) return undefined;
    // A copy, so the record does not hold on to the whole file buffer.
    return { header, body: new Uint8Array(file.subarray(PREAMBLE_BYTES + headerBytes)) };
  } catch {
    return undefined;
  }
}

const isMissing = (error: unknown) => (error as { code?: string } | null)?.code === 'ENOENT';

/**
 * A {@link CacheStore} on disk (Node only): one file per entry, named by the SHA-256 of its key,
 * written to a temporary file and renamed into place so that a reader never sees half an entry. A
 * truncated or corrupt file is a miss and is removed. The least recently used entries are removed
 * beyond `maxBytes`; each process enforces the bound on the files it knows of (those on disk when it
 * started, and those it reads or writes).
 * @example
 * import { fileCacheStore } from '@ferrule/cache/file';
 * const fetch = createFetch({ use: [cache({ store: fileCacheStore({ directory: '.cache/http' }) })] });
 */
export function fileCacheStore({
  directory,
  maxBytes = 256 * 1024 * 1024,
  clock = systemClock,
}: FileCacheStoreOptions): FileCacheStore {
  if (typeof directory !== 'string' || directory === '') {
    throw new StoreError('fileCacheStore needs a `directory` (a non-empty path)');
  }
  // File names by size, least recently used first (a Map keeps insertion order).
  const files = new Map<string, number>();
  let sizeBytes = 0;
  let ready: Promise<void> | undefined;

  const pathOf = (key: string) => join(directory, createHash('sha256').update(key).digest('hex'));
  const forget = (path: string) => {
    sizeBytes -= files.get(path) ?? 0;
    files.delete(path);
  };
  const remember = (path: string, bytes: number) => {
    forget(path);
    files.set(path, bytes);
    sizeBytes += bytes;
  };
  const remove = async (path: string) => {
    forget(path);
    await rm(path, { force: true });
  };

  // Learns what is on disk once, oldest first, and clears temporary files a crashed writer left behind
  // (by the files' own, real, times). A failure is tried again on the next call.
  async function learn() {
    await mkdir(directory, { recursive: true });
    const found: [string, number, number][] = [];
    for (const name of await readdir(directory)) {
      const path = join(directory, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      if (!name.endsWith(TEMP_SUFFIX)) found.push([path, info.size, info.mtimeMs]);
      else if (Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
    }
    for (const [path, size] of found.sort((a, b) => a[2] - b[2])) remember(path, size);
  }
  const scan = () =>
    (ready ??= learn().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));

  const failed = (action: string, cause: unknown) =>
    new StoreError(`File cache store could not ${action} an entry`, { cause });

  return {
    name: 'file',
    get sizeBytes() {
      return sizeBytes;
    },
    async get(key) {
      const path = pathOf(key);
      let file: Buffer;
      try {
        await scan();
        file = await readFile(path);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw failed('read', error);
      }
      const entry = decode(file, key);
      const expiresAtMs = entry?.header.expiresAtMs ?? Number.POSITIVE_INFINITY;
      if (!entry || expiresAtMs <= clock.now()) {
        // Best effort: whoever reads it next removes it otherwise.
        await remove(path).catch(() => {});
        return undefined;
      }
      remember(path, file.byteLength);
      return { metadata: entry.header.metadata, body: entry.body } satisfies CacheRecord;
    },
    async set(key, record, options) {
      const path = pathOf(key);
      const expiresAtMs = options?.ttlMs === undefined ? null : clock.now() + options.ttlMs;
      const file = encode({ key, expiresAtMs, metadata: record.metadata }, record.body);
      if (file.byteLength > maxBytes) return remove(path);
      const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
      try {
        await scan();
        await writeFile(temporary, file);
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => {});
        throw failed('write', error);
      }
      remember(path, file.byteLength);
      for (const [oldest] of files) {
        if (sizeBytes <= maxBytes) break;
        await remove(oldest);
      }
    },
    async delete(key) {
      try {
        await scan();
        await remove(pathOf(key));
      } catch (error) {
        throw failed('delete', error);
      }
    },
  };
}
