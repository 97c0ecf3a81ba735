import { createFetch } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { idempotencyKey } from './idempotency-key.ts';

describe('idempotencyKey over real HTTP', () => {
  it('gives each POST and PATCH a unique quoted UUID, and leaves GET alone', async () => {
    const server = await createTestServer({ '/*': { status: 204 } });
    const fetch = createFetch({ use: [idempotencyKey()] });
    await fetch(`${server.url}/a`, { method: 'POST', body: '1' });
    await fetch(`${server.url}/a`, { method: 'POST', body: '2' });
    await fetch(`${server.url}/a`, { method: 'PATCH', body: '3' });
    await fetch(`${server.url}/a`);
    const keys = server.requests.map((request) => request.headers['idempotency-key']);
    const uuid = /^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/;
    expect(keys).toEqual([
      expect.stringMatching(uuid),
      expect.stringMatching(uuid),
      expect.stringMatching(uuid),
      undefined,
    ]);
    expect(new Set(keys.slice(0, 3)).size).toBe(3);
  });

  it('keeps a key the caller set, and never changes a Request the caller passed', async () => {
    const server = await createTestServer({ '/*': { status: 204 } });
    const fetch = createFetch({ use: [idempotencyKey()] });
    await fetch(`${server.url}/a`, { method: 'POST', headers: { 'Idempotency-Key': '"mine"' } });
    const own = new Request(`${server.url}/b`, { method: 'POST', body: 'x' });
    await fetch(own);
    expect(server.requests[0]?.headers['idempotency-key']).toBe('"mine"');
    expect(server.requests[1]?.headers['idempotency-key']).toMatch(/^"/);
    expect(server.requests[1]?.text()).toBe('x');
    expect(own.headers.has('idempotency-key')).toBe(false);
  });

  it('keys the methods it is told to', async () => {
    const server = await createTestServer({ '/*': { status: 204 } });
    const fetch = createFetch({ use: [idempotencyKey({ methods: ['put'] })] });
    await fetch(`${server.url}/a`, { method: 'PUT', body: '1' });
    await fetch(`${server.url}/a`, { method: 'POST', body: '1' });
    expect(server.requests.map((request) => request.headers['idempotency-key'])).toEqual([
      expect.stringMatching(/^"[0-9a-f-]{36}"$/),
      undefined,
    ]);
  });

  it('rejects wrong options with a ConfigError naming the option', () => {
    expect(() => idempotencyKey({ methods: 'POST' } as never)).toThrow(
      expect.objectContaining({ option: 'idempotencyKey.methods' }),
    );
    expect(() => idempotencyKey({ generate: () => 'x' } as never)).toThrow(
      expect.objectContaining({ option: 'idempotencyKey.generate' }),
    );
  });
});
