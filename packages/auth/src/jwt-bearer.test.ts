import { generateKeyPairSync, verify } from 'node:crypto';
import { createFakeClock, isAuthError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf, recorder, seconds } from '../test/helpers.ts';
import { jwtBearer } from './jwt-bearer.ts';

const START = Date.UTC(2025, 5, 1);
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;

const decode = (header: string | null) => {
  const [head = '', payload = '', signature = ''] = (header ?? '').replace('Bearer ', '').split('.');
  return {
    header: JSON.parse(Buffer.from(head, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(payload, 'base64url').toString()),
    valid: verify('sha256', Buffer.from(`${head}.${payload}`), publicKey, Buffer.from(signature, 'base64url')),
  };
};

describe('jwtBearer', () => {
  it('sends a signed JWT with iat, exp and the claims, like a GitHub App', async () => {
    const server = await createTestServer({ '/app': { json: {} } });
    const clock = createFakeClock(START);
    await client(jwtBearer({ algorithm: 'RS256', key: pem, claims: { iss: '123456' }, ttlSeconds: 540 }), {
      clock,
    }).fetch(`${server.url}/app`);
    const token = decode(server.requests[0]?.headers.authorization ?? null);
    expect(token.valid).toBe(true);
    expect(token.header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(token.claims).toEqual({ iss: '123456', iat: seconds(clock), exp: seconds(clock) + 540 });
  });

  it('reuses a token until 30 s before it expires, then mints the next', async () => {
    const { fetch, requests } = recorder();
    const clock = createFakeClock(START);
    const api = client(jwtBearer({ algorithm: 'RS256', key: pem, claims: { iss: '1' }, ttlSeconds: 300 }), {
      fetch,
      clock,
    });
    await api.fetch('https://api.example.com/a');
    await clock.advance(270_000 - 1);
    await api.fetch('https://api.example.com/b');
    await clock.advance(1);
    await api.fetch('https://api.example.com/c');
    const [first, second, third] = requests.map((request) => request.headers.get('authorization'));
    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(api.authEvents().map((event) => event.action)).toEqual(['signed', 'signed']);
  });

  it('mints one token for many concurrent calls, with claims from a function and a kid', async () => {
    const { fetch, requests } = recorder();
    let minted = 0;
    const api = client(
      jwtBearer({
        algorithm: 'RS256',
        key: pem,
        keyId: 'ABC123',
        claims: async () => ({ iss: 'issuer-id', aud: 'appstoreconnect-v1', n: ++minted }),
      }),
      { fetch },
    );
    await Promise.all(Array.from({ length: 10 }, () => api.fetch('https://api.example.com/x')));
    expect(new Set(requests.map((request) => request.headers.get('authorization'))).size).toBe(1);
    expect(minted).toBe(1);
    expect(decode(requests[0]?.headers.get('authorization') ?? null).header.kid).toBe('ABC123');
  });

  it('fails every call with an AuthError when the key cannot sign, and tries again later', async () => {
    const { fetch, requests } = recorder();
    const api = client(jwtBearer({ algorithm: 'ES256', key: pem }), { fetch });
    const error = await api.fetch('https://api.example.com/x').catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.message).toBe('jwtBearer: could not sign with the ES256 key');
    await expect(api.fetch('https://api.example.com/x')).rejects.toThrow('could not sign');
    expect(requests).toHaveLength(0);
  });

  it('refuses an unknown algorithm or a missing key with a ConfigError', () => {
    for (const [options, option] of [
      [{ algorithm: 'none', key: pem }, 'jwtBearer.algorithm'],
      [{ algorithm: 'RS256' }, 'jwtBearer.key'],
      [{ algorithm: 'RS256', key: pem, ttlSeconds: 0 }, 'jwtBearer.ttlSeconds'],
    ] as const) {
      const error = configErrorOf(() => jwtBearer(options as never));
      expect(error?.option).toBe(option);
    }
  });
});
