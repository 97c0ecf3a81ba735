import { toBase64, utf8 } from './encoding.ts';

/** The digest algorithms of RFC 9530 that ferrule computes. */
export type DigestAlgorithm = 'sha-256' | 'sha-512';

/**
 * The RFC 9530 `Content-Digest` field value of `body`: `sha-256=:<base64>:`.
 * @default algorithm 'sha-256'
 * @example
 * await contentDigest('{"hello": "world"}'); // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 */
export async function contentDigest(
  body: string | BufferSource,
  algorithm: DigestAlgorithm = 'sha-256',
): Promise<string> {
  const digest = await crypto.subtle.digest(algorithm.toUpperCase(), typeof body === 'string' ? utf8(body) : body);
  return `${algorithm}=:${toBase64(digest)}:`;
}
