import { instance, looseObject, minLength, pipe, string, union } from 'valibot';
import { fromBase64, toBase64Url, utf8 } from './encoding.ts';

/** The JWS algorithms ferrule signs with (RFC 7518 §3.1). */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/**
 * A signing key: a `CryptoKey`; a JWK; for RS256/ES256 a PKCS#8 PEM (`BEGIN PRIVATE KEY`, as App
 * Store Connect hands out) or a PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`, as GitHub Apps hand out);
 * for HS256 the shared secret as text or bytes.
 */
export type JwtKey = string | Uint8Array<ArrayBuffer> | JsonWebKey | CryptoKey;

/** The valibot schema of a {@link JwtKey}. */
export const jwtKeySchema = () =>
  union(
    [pipe(string(), minLength(1)), instance(Uint8Array), instance(CryptoKey), looseObject({ kty: string() })],
    'a PEM, a JWK, a CryptoKey or secret bytes',
  );

// One parameter object serves importKey and sign: each reads the members it knows.
const ALGORITHMS = {
  HS256: { name: 'HMAC', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
};

// Web Crypto imports PKCS#8 only: wrap a PKCS#1 RSA key in a PrivateKeyInfo (RFC 5208) with the
// rsaEncryption algorithm identifier. RSA keys are always longer than 255 bytes, so every DER length
// here takes the two-byte form.
const pkcs8 = (pkcs1: Uint8Array) => {
  const length = (count: number) => [0x82, count >> 8, count & 255];
  const info = [
    ...[0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00],
    ...[0x04, ...length(pkcs1.length)],
  ];
  return Uint8Array.from([0x30, ...length(info.length + pkcs1.length), ...info, ...pkcs1]);
};

/** Imports `key` for signing with `algorithm`. */
export function importJwtKey(algorithm: JwtAlgorithm, key: JwtKey): Promise<CryptoKey> {
  if (key instanceof CryptoKey) return Promise.resolve(key);
  const parameters = ALGORITHMS[algorithm];
  const use: KeyUsage[] = ['sign'];
  if (typeof key === 'string') {
    if (algorithm === 'HS256') return crypto.subtle.importKey('raw', utf8(key), parameters, false, use);
    const der = fromBase64(key.replace(/-----[^-]+-----|\s/g, ''));
    return crypto.subtle.importKey('pkcs8', key.includes('RSA PRIVATE') ? pkcs8(der) : der, parameters, false, use);
  }
  return key instanceof Uint8Array
    ? crypto.subtle.importKey('raw', key, parameters, false, use)
    : crypto.subtle.importKey('jwk', key, parameters, false, use);
}

/** A compact JWS (RFC 7515 §7.1) of `claims`, with `kid` in its header when given. */
export async function signJwt(
  algorithm: JwtAlgorithm,
  key: CryptoKey,
  claims: object,
  keyId?: string,
): Promise<string> {
  const part = (value: object) => toBase64Url(utf8(JSON.stringify(value)));
  const input = `${part({ alg: algorithm, typ: 'JWT', ...(keyId && { kid: keyId }) })}.${part(claims)}`;
  return `${input}.${toBase64Url(await crypto.subtle.sign(ALGORITHMS[algorithm], key, utf8(input)))}`;
}
