import { createHmac, createSecretKey, generateKeyPairSync, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importJwtKey, type JwtAlgorithm, signJwt } from './jwt.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

// Verifies with node:crypto, independently of the Web Crypto signing under test.
function verified(token: string, algorithm: JwtAlgorithm, publicKey: KeyObject | string) {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const data = Buffer.from(`${header}.${payload}`);
  const bytes = Buffer.from(signature, 'base64url');
  if (algorithm === 'HS256') {
    return timingSafeEqual(
      createHmac('sha256', publicKey as string)
        .update(data)
        .digest(),
      bytes,
    );
  }
  const options =
    algorithm === 'ES256' ? { key: publicKey as KeyObject, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  return verify('sha256', data, options, bytes);
}

describe('signJwt', () => {
  it.each([
    ['RS256 from a PKCS#8 PEM', 'RS256', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), rsa.publicKey],
    [
      'RS256 from a PKCS#1 PEM (GitHub Apps)',
      'RS256',
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }),
      rsa.publicKey,
    ],
    ['RS256 from a JWK', 'RS256', rsa.privateKey.export({ format: 'jwk' }), rsa.publicKey],
    [
      'ES256 from a PKCS#8 PEM (App Store Connect)',
      'ES256',
      ec.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      ec.publicKey,
    ],
    ['ES256 from a JWK', 'ES256', ec.privateKey.export({ format: 'jwk' }), ec.publicKey],
    ['HS256 from text', 'HS256', 'shared-secret', 'shared-secret'],
  ] as const)('signs %s so that node:crypto verifies it', async (_name, algorithm, key, publicKey) => {
    const token = await signJwt(algorithm, await importJwtKey(algorithm, key as string), { iss: 'me' }, 'kid-1');
    expect(verified(token, algorithm, publicKey)).toBe(true);
    const [header = '', payload = ''] = token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({
      alg: algorithm,
      typ: 'JWT',
      kid: 'kid-1',
    });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({ iss: 'me' });
  });

  it('signs HS256 with secret bytes and with a CryptoKey', async () => {
    const bytes = new TextEncoder().encode('shared-secret');
    const cryptoKey = await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const fromBytes = await signJwt('HS256', await importJwtKey('HS256', bytes), { n: 1 });
    const fromKey = await signJwt('HS256', await importJwtKey('HS256', cryptoKey), { n: 1 });
    expect(fromBytes).toBe(fromKey);
    expect(verified(fromBytes, 'HS256', createSecretKey(bytes).export().toString())).toBe(true);
  });

  it('matches the HS256 example of RFC 7515 §A.1 bit for bit', async () => {
    // The RFC's key (a JWK `k`) over its own header and payload bytes.
    const key = await importJwtKey('HS256', {
      kty: 'oct',
      k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
    });
    const input =
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';
    const signature = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(input));
    expect(Buffer.from(signature).toString('base64url')).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  });

  it('rejects a PEM that is not a private key of the algorithm', async () => {
    const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await expect(importJwtKey('RS256', publicPem)).rejects.toThrow();
    await expect(
      importJwtKey('ES256', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    ).rejects.toThrow();
  });
});
