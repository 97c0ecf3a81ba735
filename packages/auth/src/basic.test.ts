import { isAuthError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf, recorder } from '../test/helpers.ts';
import { basic } from './basic.ts';

describe('basic', () => {
  it("sends RFC 7617's own example", async () => {
    const server = await createTestServer({ '/': { json: {} } });
    await client(basic({ username: 'Aladdin', password: 'open sesame' })).fetch(server.url);
    expect(server.requests[0]?.headers.authorization).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  it('encodes non-ASCII characters as UTF-8 (RFC 7617 §2.1)', async () => {
    const { fetch, requests } = recorder();
    await client(basic({ username: 'test', password: '123£' }), { fetch }).fetch('https://api.example.com/');
    expect(requests[0]?.headers.get('authorization')).toBe('Basic dGVzdDoxMjPCow==');
  });

  it('reads username and password from providers on each call', async () => {
    const { fetch, requests } = recorder();
    await client(basic({ username: () => 'ci', password: async () => 'pw' }), { fetch }).fetch(
      'https://api.example.com/',
    );
    expect(requests[0]?.headers.get('authorization')).toBe(`Basic ${btoa('ci:pw')}`);
  });

  it('refuses a user id with a colon: at creation, or as an AuthError from a provider', async () => {
    const error = configErrorOf(() => basic({ username: 'a:b', password: 'pw' }));
    expect(error?.option).toBe('basic.username');
    const failure = await client(basic({ username: () => 'a:b', password: 'pw' }), { fetch: recorder().fetch })
      .fetch('https://api.example.com/')
      .catch((caught: unknown) => caught);
    expect(isAuthError(failure)).toBe(true);
  });
});
