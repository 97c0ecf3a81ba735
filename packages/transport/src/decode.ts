import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';

// Lenient like fetch and curl: some servers end a compressed body without its final block.
const SYNC = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };

// RFC 9110 §8.4.1: gzip (and its alias x-gzip), deflate (the zlib format), RFC 7932 br, RFC 8878 zstd.
// `compress` is the UNIX LZW format that zlib cannot read, so, like fetch, it is left alone.
const gunzip = () => zlib.createGunzip(SYNC);
const DECODERS: Record<string, () => Transform> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: () => zlib.createInflate(SYNC),
  br: () => zlib.createBrotliDecompress(),
  // RFC 9659 §3: a decoder needs no window larger than 8 MB.
  zstd: () => zlib.createZstdDecompress({ params: { [zlib.constants.ZSTD_d_windowLogMax]: 23 } }),
};

// Like fetch (and the urllib3/curl fixes for CVE-2022-32206): a long chain of codings is an attack.
const MAX_CODINGS = 5;

/**
 * The decoders for a `Content-Encoding` value, in the order to apply them (the last coding applied is
 * undone first), piped into each other; `undefined` when any coding is unknown, so that the body is
 * handed on as it came, as fetch does.
 */
export function decoderFor(
  contentEncoding: string,
): { head: Transform; tail: Transform; all: Transform[] } | undefined {
  const codings = contentEncoding.toLowerCase().split(',');
  if (codings.length > MAX_CODINGS) throw new Error('too many content codings');
  const all: Transform[] = [];
  for (let index = codings.length - 1; index >= 0; index--) {
    const create = DECODERS[(codings[index] as string).trim()];
    if (!create) return undefined;
    all.push(create());
  }
  for (let index = 1; index < all.length; index++) (all[index - 1] as Transform).pipe(all[index] as Transform);
  return { head: all[0] as Transform, tail: all[all.length - 1] as Transform, all };
}
