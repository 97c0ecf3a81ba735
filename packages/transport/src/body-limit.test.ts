import { gzipSync } from 'node:zlib';
import { createFetch, isBodyTooLargeError, isConfigError } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../test/caught.ts';
import { bodyLimit, createClient } from './index.ts';

const tooLarge = (promise: Promise<unknown>) => rejectionOf(promise, isBodyTooLargeError);

// 200 KiB in 1 KiB chunks, 1 ms apart, without a Content-Length: the client gives up long before the end.
const chunked = { chunks: Array.from({ length: 200 }, () => 'x'.repeat(1_024)), chunkDelayMs: 1 };

describe('bodyLimit', () => {
  it('fails at once on a Content-Length over the limit, and closes the connection', async () => {
    const server = await createTestServer({ 'GET /big': { stallAfterBytes: 10, body: 'x'.repeat(5_000) } });
    const fetch = createFetch({ use: [bodyLimit({ maxBytes: 4_096 })] });
    const error = await tooLarge(fetch(`${server.url}/big?token=secret`));
    expect(error).toMatchObject({ limitBytes: 4_096, method: 'GET', url: `${server.url}/big?token=[REDACTED]` });
    expect(error.message).toBe(`Body larger than 4096 bytes (GET ${server.url}/big?token=[REDACTED])`);
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('counts a body of unknown length as it is read and cancels it past the limit', async () => {
    const server = await createTestServer({ 'GET /stream': chunked });
    const fetch = createFetch({ use: [bodyLimit({ maxBytes: 10_000 })] });
    const response = await fetch(`${server.url}/stream`);
    expect(response.headers.get('content-length')).toBeNull();
    expect((await tooLarge(response.text())).limitBytes).toBe(10_000);
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('counts a compressed body after decoding, whatever its Content-Length says', async () => {
    const body = gzipSync('x'.repeat(50_000));
    const server = await createTestServer({
      'GET /zipped': { body, headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' } },
    });
    expect(body.byteLength).toBeLessThan(1_000);
    const fetch = createFetch({ use: [bodyLimit({ maxBytes: 10_000 })] });
    await tooLarge((await fetch(`${server.url}/zipped`)).text());
  });

  it('hands a body within the limit on untouched, with its url, status and headers', async () => {
    const server = await createTestServer({
      'GET /exact': { body: 'x'.repeat(100) },
      'GET /stream': { chunks: ['a'.repeat(60), 'b'.repeat(40)], status: 203, headers: { 'x-a': 'b' } },
    });
    const fetch = createFetch({ use: [bodyLimit({ maxBytes: 100 })] });
    expect(await (await fetch(`${server.url}/exact`)).text()).toHaveLength(100);
    const streamed = await fetch(`${server.url}/stream`);
    expect(streamed).toMatchObject({ status: 203, url: `${server.url}/stream`, redirected: false });
    expect(streamed.headers.get('x-a')).toBe('b');
    expect(await streamed.text()).toBe(`${'a'.repeat(60)}${'b'.repeat(40)}`);
  });

  it('takes a per-call limit from init.ferrule.transport, over the configured one or none', async () => {
    const server = await createTestServer({ 'GET /data': { body: 'x'.repeat(2_000) } });
    const limited = createFetch({ use: [bodyLimit({ maxBytes: 1_000 })] });
    expect(
      await (await limited(`${server.url}/data`, { ferrule: { transport: { maxBodyBytes: 5_000 } } })).text(),
    ).toHaveLength(2_000);
    const open = createFetch({ use: [bodyLimit()] });
    expect(await (await open(`${server.url}/data`)).text()).toHaveLength(2_000);
    await tooLarge(open(`${server.url}/data`, { ferrule: { transport: { maxBodyBytes: 1_999 } } }));
  });

  it('refuses a per-call limit that is no number of bytes, before sending anything', async () => {
    const server = await createTestServer({ 'GET /data': { body: 'x' } });
    const fetch = createFetch({ use: [bodyLimit()] });
    const error = await fetch(`${server.url}/data`, { ferrule: { transport: { maxBodyBytes: -5 } } }).catch((e) => e);
    expect(isConfigError(error) && error.option).toBe('transport.maxBodyBytes');
    expect(server.requests).toHaveLength(0);
  });

  it('validates its options with a ConfigError', () => {
    expect(() => bodyLimit({ maxBytes: 1.5 })).toThrow(expect.objectContaining({ option: 'bodyLimit.maxBytes' }));
  });
});

describe('createClient: maxBodyBytes', () => {
  it('fails `.json()` with a BodyTooLargeError past the limit', async () => {
    const server = await createTestServer({
      'GET /items': { json: Array.from({ length: 1_000 }, (_, id) => ({ id })) },
    });
    const api = createClient({ baseUrl: server.url, maxBodyBytes: 1_024 });
    await tooLarge(api.get('items').json());
    expect(await api.get('items', { ferrule: { transport: { maxBodyBytes: 1_000_000 } } }).json()).toHaveLength(1_000);
  });
});
