import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf } from '../test/helpers.ts';
import { bearer } from './bearer.ts';

describe('bearer', () => {
  it('sends Authorization: Bearer with a fixed token', async () => {
    const server = await createTestServer({ '/me': { json: {} } });
    await client(bearer('t0ken')).fetch(`${server.url}/me`);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer t0ken');
  });

  it('reads the token from an async provider at call time', async () => {
    const server = await createTestServer({ '/me': { json: {} } });
    let token = 'first';
    const { fetch } = client(bearer(async () => token));
    await fetch(`${server.url}/me`);
    token = 'second';
    await fetch(`${server.url}/me`);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(['Bearer first', 'Bearer second']);
  });

  it('refuses an empty token or one with a line break, without quoting it', () => {
    for (const token of ['', 'abc\r\nx-evil: 1']) {
      expect(() => bearer(token)).toThrow(expect.objectContaining({ code: 'CONFIG', option: 'bearer.token' }));
    }
    expect(() => bearer('abc\r\nx-evil: 1')).not.toThrow(/abc/);
  });

  it('refuses an unknown option', () => {
    const error = configErrorOf(() => bearer('t', { allowOrigins: [] } as never));
    expect(error?.option).toBe('bearer.allowOrigins');
  });
});
