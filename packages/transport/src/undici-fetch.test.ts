import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { isConfigError, TAKES_REQUEST } from '@ferrule/core';
import { createTestServer, waitUntil } from '@ferrule/testing/vitest';
import { Agent } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { rejectionOf } from '../test/caught.ts';
import { type UndiciFetchOptions, undiciFetch } from './undici.ts';

// Destroyed, not closed, at the end: a failed test must not wait for a request that never ends.
const make = (options?: UndiciFetchOptions) => {
  const fetch = undiciFetch(options);
  onTestFinished(() => fetch.dispatcher.destroy());
  return fetch;
};

const bytes = (size: number, fill = 7) => new Uint8Array(size).fill(fill);

// A request body that arrives in `count` chunks of `size` bytes.
const streamOf = (count: number, size: number) => {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < count) controller.enqueue(bytes(size));
      else controller.close();
    },
  });
};

type Failure = Error & { cause?: Error & { code?: string } };
const isError = (error: unknown): error is Failure => error instanceof Error;
const rejection = (promise: Promise<unknown>) => rejectionOf(promise, isError);

describe('undiciFetch: responses', () => {
  it('answers with a standard Response: status, status text, headers, url and body', async () => {
    const server = await createTestServer({
      'GET /items': { status: 201, json: { id: 1 }, headers: { 'set-cookie': ['a=1', 'b=2'], 'x-trace': 'abc' } },
    });
    const response = await make()(`${server.url}/items`);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Created');
    expect(response.ok).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-trace')).toBe('abc');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.url).toBe(`${server.url}/items`);
    expect(response.redirected).toBe(false);
    expect(await response.json()).toEqual({ id: 1 });
  });

  it('gives 204, 304 and HEAD responses no body', async () => {
    const server = await createTestServer({
      'GET /empty': { status: 204 },
      'GET /same': { etag: '"v1"', json: { a: 1 } },
      'HEAD /items': { json: { a: 1 } },
    });
    const fetch = make();
    expect((await fetch(`${server.url}/empty`)).body).toBeNull();
    expect((await fetch(`${server.url}/same`, { headers: { 'if-none-match': '"v1"' } })).status).toBe(304);
    const head = await fetch(`${server.url}/items`, { method: 'HEAD' });
    expect(head.body).toBeNull();
    expect(head.headers.get('content-type')).toBe('application/json');
  });

  it('streams the body: the first chunk is readable before the server sends the rest', async () => {
    const { promise: firstRead, resolve: onFirstRead } = Promise.withResolvers<void>();
    const server = await createTestServer({
      'GET /stream': () => {
        const encoder = new TextEncoder();
        const body = new ReadableStream({
          async start(controller) {
            controller.enqueue(encoder.encode('first,'));
            await firstRead;
            controller.enqueue(encoder.encode('second'));
            controller.close();
          },
        });
        return new Response(body);
      },
    });
    const response = await make()(`${server.url}/stream`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first,');
    onFirstRead();
    const second = await reader.read();
    expect(new TextDecoder().decode(second.value)).toBe('second');
    expect((await reader.read()).done).toBe(true);
  });

  it('turns a status the Response constructor refuses into a TypeError "fetch failed"', async () => {
    const server = await createTestServer({ 'GET /odd': { status: 600 } });
    const error = await rejection(make()(`${server.url}/odd`));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause).toBeInstanceOf(RangeError);
  });
});

describe('undiciFetch: requests', () => {
  it('sends fetch’s default headers, the method, the headers and a string body with its length', async () => {
    const server = await createTestServer({ 'POST /items': { status: 201 } });
    await make()(`${server.url}/items`, { method: 'POST', body: 'hello', headers: { 'x-request-id': 'r1' } });
    const [received] = server.requests;
    expect(received?.method).toBe('POST');
    expect(received?.text()).toBe('hello');
    expect(received?.headers).toMatchObject({
      'content-length': '5',
      'content-type': 'text/plain;charset=UTF-8',
      'x-request-id': 'r1',
      accept: '*/*',
      'user-agent': 'node',
      'accept-encoding': 'gzip, deflate, br',
    });
  });

  it('keeps the Accept, User-Agent and Accept-Encoding the caller set', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const headers = { accept: 'application/json', 'user-agent': 'inventory/1.0', 'accept-encoding': 'identity' };
    await make()(new Request(`${server.url}/items`, { headers }));
    expect(server.requests[0]?.headers).toMatchObject(headers);
  });

  it('sends a POST without a body with Content-Length: 0, as fetch does', async () => {
    const server = await createTestServer({ 'POST /ping': { status: 204 } });
    await make()(`${server.url}/ping`, { method: 'POST' });
    expect(server.requests[0]?.headers['content-length']).toBe('0');
  });

  it('sends a small streamed body buffered, with a Content-Length', async () => {
    const server = await createTestServer({ 'PUT /blob': { status: 204 } });
    const body = streamOf(4, 1_000);
    await make()(new Request(`${server.url}/blob`, { method: 'PUT', body, duplex: 'half' } as RequestInit));
    expect(server.requests[0]?.headers['content-length']).toBe('4000');
    expect(server.requests[0]?.body).toEqual(bytes(4_000));
  });

  it('streams a body past 64 KiB with chunked encoding instead of buffering it', async () => {
    const server = await createTestServer({ 'PUT /blob': { status: 204 } });
    const body = streamOf(20, 16_384);
    await make()(`${server.url}/blob`, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    const [received] = server.requests;
    expect(received?.headers['transfer-encoding']).toBe('chunked');
    expect(received?.headers['content-length']).toBeUndefined();
    expect(received?.body).toEqual(bytes(20 * 16_384));
  });

  it('sends a Request as it is, taking only the signal from init', async () => {
    const server = await createTestServer({ 'DELETE /items/1': { status: 204 } });
    const request = new Request(`${server.url}/items/1`, { method: 'DELETE', headers: { 'x-a': 'b' } });
    const controller = new AbortController();
    const response = await make()(request, { signal: controller.signal });
    expect(response.status).toBe(204);
    expect(server.requests[0]).toMatchObject({ method: 'DELETE', headers: { 'x-a': 'b' } });
  });

  it('rejects what fetch rejects: a relative URL and a body already used', async () => {
    const fetch = make();
    expect(await rejection(fetch('/relative'))).toBeInstanceOf(TypeError);
    const request = new Request('http://127.0.0.1:9/items', { method: 'POST', body: 'x' });
    await request.text();
    expect(await rejection(fetch(request))).toBeInstanceOf(TypeError);
  });

  it('hands URLs that are not http(s) to the global fetch', async () => {
    const response = await make()('data:application/json,{"a":1}');
    expect(await response.json()).toEqual({ a: 1 });
  });
});

describe('undiciFetch: content codings', () => {
  const text = 'ferrule '.repeat(1_000);
  const encoded: Record<string, Uint8Array> = {
    gzip: gzipSync(text),
    deflate: deflateSync(text),
    br: brotliCompressSync(text),
    zstd: zstdCompressSync(text),
  };

  it.each(Object.keys(encoded))('decodes a %s body and keeps the headers as they came', async (coding) => {
    const body = encoded[coding] as Uint8Array;
    const server = await createTestServer({
      'GET /text': { body, headers: { 'content-encoding': coding, 'content-type': 'text/plain' } },
    });
    const response = await make()(`${server.url}/text`);
    expect(response.headers.get('content-encoding')).toBe(coding);
    expect(response.headers.get('content-length')).toBe(String(body.byteLength));
    expect(await response.text()).toBe(text);
  });

  it('undoes two codings in reverse order', async () => {
    const server = await createTestServer({
      'GET /text': { body: brotliCompressSync(gzipSync(text)), headers: { 'content-encoding': 'gzip, br' } },
    });
    expect(await (await make()(`${server.url}/text`)).text()).toBe(text);
  });

  it('hands on a body in an unknown coding as it came', async () => {
    const server = await createTestServer({
      'GET /text': { body: 'raw', headers: { 'content-encoding': 'compress' } },
    });
    expect(await (await make()(`${server.url}/text`)).text()).toBe('raw');
  });

  it('errors the body with TypeError "terminated" when the encoded data is corrupt', async () => {
    const server = await createTestServer({
      'GET /text': { body: 'not gzip at all', headers: { 'content-encoding': 'gzip' } },
    });
    const response = await make()(`${server.url}/text`);
    const error = await rejection(response.text());
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('terminated');
  });

  it('refuses more than five codings, as fetch does', async () => {
    const server = await createTestServer({
      'GET /text': { body: 'x', headers: { 'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip' } },
    });
    const error = await rejection(make()(`${server.url}/text`));
    expect(error.message).toBe('fetch failed');
    expect(error.cause?.message).toMatch(/too many content codings/);
  });

  it('asks for no coding and decodes nothing with decompress: false', async () => {
    const server = await createTestServer({
      'GET /text': { body: encoded.gzip as Uint8Array, headers: { 'content-encoding': 'gzip' } },
    });
    const response = await make({ decompress: false })(`${server.url}/text`);
    expect(server.requests[0]?.headers['accept-encoding']).toBeUndefined();
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array(encoded.gzip as Uint8Array));
  });
});

describe('undiciFetch: redirects', () => {
  it('follows a redirect and reports the final url and redirected', async () => {
    const server = await createTestServer({
      'GET /old': { status: 301, headers: { location: '/new?x=1' }, body: 'moved' },
      'GET /new': { json: { here: true } },
    });
    const response = await make()(`${server.url}/old`);
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${server.url}/new?x=1`);
    expect(response.redirected).toBe(true);
    expect(await response.json()).toEqual({ here: true });
    expect(server.requests.map((request) => request.url)).toEqual(['/old', '/new?x=1']);
  });

  it.each([301, 302, 303])('turns a POST into a GET on %i and drops the body and its headers', async (status) => {
    const server = await createTestServer({
      'POST /orders': { status, headers: { location: '/orders/1' } },
      'GET /orders/1': { json: { id: 1 } },
    });
    const init = {
      method: 'POST',
      body: '{"sku":"x"}',
      headers: { 'content-type': 'application/json', 'x-keep': 'y' },
    };
    await make()(`${server.url}/orders`, init);
    const followed = server.requests[1];
    expect(followed?.method).toBe('GET');
    expect(followed?.body.byteLength).toBe(0);
    expect(followed?.headers['content-type']).toBeUndefined();
    expect(followed?.headers['x-keep']).toBe('y');
  });

  it.each([307, 308])('resends the method and the body on %i', async (status) => {
    const server = await createTestServer({
      'PUT /old': { status, headers: { location: '/new' } },
      'PUT /new': { status: 204 },
    });
    await make()(`${server.url}/old`, { method: 'PUT', body: 'payload' });
    expect(server.requests[1]).toMatchObject({ method: 'PUT', url: '/new' });
    expect(server.requests[1]?.text()).toBe('payload');
  });

  it('drops every credential header on a redirect to another origin', async () => {
    const other = await createTestServer({ 'GET /landing': { json: {} } });
    const server = await createTestServer({
      'GET /out': { status: 302, headers: { location: `${other.url}/landing` } },
    });
    const headers = {
      authorization: 'Bearer secret-token',
      cookie: 'session=secret',
      'x-api-key': 'secret-key',
      'proxy-authorization': 'Basic c2VjcmV0',
      'x-request-id': 'r1',
    };
    await make()(`${server.url}/out`, { headers });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer secret-token');
    const landed = other.requests[0]?.headers ?? {};
    expect(JSON.stringify(landed)).not.toMatch(/secret/);
    expect(landed['x-request-id']).toBe('r1');
  });

  it('keeps the credentials on a redirect within the same origin', async () => {
    const server = await createTestServer({
      'GET /a': { status: 307, headers: { location: '/b' } },
      'GET /b': { json: {} },
    });
    await make()(`${server.url}/a`, { headers: { authorization: 'Bearer t' } });
    expect(server.requests[1]?.headers.authorization).toBe('Bearer t');
  });

  it("returns the redirect itself with redirect: 'manual'", async () => {
    const server = await createTestServer({ 'GET /old': { status: 302, headers: { location: '/new' } } });
    const response = await make()(`${server.url}/old`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/new');
    expect(server.requests).toHaveLength(1);
  });

  it('tells createFetch to hand over its Request as it is', () => {
    expect(make()[TAKES_REQUEST]).toBe(true);
  });

  it("fails with a TypeError on a redirect with redirect: 'error'", async () => {
    const server = await createTestServer({ 'GET /old': { status: 302, headers: { location: '/new' } } });
    const error = await rejection(make()(`${server.url}/old`, { redirect: 'error' }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.cause?.message).toMatch(/unexpected redirect/);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxRedirects', async () => {
    const server = await createTestServer({ 'GET /loop': { status: 302, headers: { location: '/loop' } } });
    const error = await rejection(make({ maxRedirects: 2 })(`${server.url}/loop`));
    expect(error.cause?.message).toBe('too many redirects');
    expect(server.requests).toHaveLength(3);
  });

  it('refuses to resend a streamed body and to follow a redirect to another scheme', async () => {
    const server = await createTestServer({
      'PUT /big': { status: 307, headers: { location: '/elsewhere' } },
      'GET /ftp': { status: 302, headers: { location: 'ftp://127.0.0.1/file' } },
    });
    const fetch = make();
    const init = { method: 'PUT', body: streamOf(10, 16_384), duplex: 'half' } as RequestInit;
    expect((await rejection(fetch(`${server.url}/big`, init))).cause?.message).toMatch(/streamed request body/);
    expect((await rejection(fetch(`${server.url}/ftp`))).cause?.message).toMatch(/ftp: URL/);
  });

  it('returns a 3xx without a Location as it is', async () => {
    const server = await createTestServer({ 'GET /choices': { status: 300, json: ['a', 'b'] } });
    expect((await make()(`${server.url}/choices`)).status).toBe(300);
  });
});

describe('undiciFetch: abort and failure', () => {
  it('rejects with the reason of a signal that is already aborted, sending nothing', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const reason = new Error('gave up');
    const error = await rejection(make()(`${server.url}/items`, { signal: AbortSignal.abort(reason) }));
    expect(error).toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it('aborts while waiting for the headers: rejects with the reason, the server sees the disconnect', async () => {
    const server = await createTestServer({ 'GET /slow': { delayMs: 5_000, json: {} } });
    const controller = new AbortController();
    const pending = make()(`${server.url}/slow`, { signal: controller.signal });
    await waitUntil(() => server.requests.length === 1);
    controller.abort();
    const error = await rejection(pending);
    expect(error.name).toBe('AbortError');
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('aborts while the body streams: the body errors with the reason', async () => {
    const server = await createTestServer({ 'GET /stall': { stallAfterBytes: 10 } });
    const controller = new AbortController();
    const response = await make()(`${server.url}/stall`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).value?.byteLength).toBe(10);
    const reason = new Error('enough');
    controller.abort(reason);
    expect(await rejection(reader.read())).toBe(reason);
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('closes the connection when the caller cancels the body', async () => {
    const server = await createTestServer({ 'GET /stall': { stallAfterBytes: 10 } });
    const response = await make()(`${server.url}/stall`);
    await response.body?.cancel();
    await waitUntil(() => server.requests[0]?.aborted === true);
  });

  it('listens to the signal until the body is in, then lets go of it', async () => {
    const { promise: release, resolve } = Promise.withResolvers<void>();
    onTestFinished(() => resolve());
    const server = await createTestServer({
      'GET /items': () =>
        new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode('[1'));
              await release;
              controller.enqueue(new TextEncoder().encode(']'));
              controller.close();
            },
          }),
        ),
    });
    const controller = new AbortController();
    const response = await make()(new Request(`${server.url}/items`), { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    resolve();
    expect(await response.json()).toEqual([1]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with TypeError "fetch failed" and the cause code when the connection is refused', async () => {
    const server = await createTestServer();
    await server.close();
    const error = await rejection(make()(`${server.url}/items`));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause?.code).toBe('ECONNREFUSED');
  });

  it('errors the body with TypeError "terminated" when the connection drops mid-body', async () => {
    const server = await createTestServer({ 'GET /stall': { stallAfterBytes: 10 } });
    const response = await make()(`${server.url}/stall`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await server.close();
    const error = await rejection(reader.read());
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('terminated');
  });
});

describe('undiciFetch: connections and options', () => {
  it('keeps connections alive across calls, and closes each one after use with pipelining: 0', async () => {
    const server = await createTestServer({ 'GET /items': { json: [] } });
    const fetch = make({ keepAliveTimeoutMs: 10_000 });
    for (let call = 0; call < 5; call++) await (await fetch(`${server.url}/items`)).json();
    // undici may open a second socket while the first finishes its first response; never one per call.
    expect((fetch.dispatcher as Agent).stats[server.url]?.connected).toBeLessThanOrEqual(2);
    expect(server.requests.every((request) => request.headers.connection === 'keep-alive')).toBe(true);
    server.reset();
    await (await make({ pipelining: 0 })(`${server.url}/items`)).json();
    expect(server.requests[0]?.headers.connection).toBe('close');
  });

  it('opens no more than `connections` sockets per origin, queueing the rest', async () => {
    const { promise: release, resolve } = Promise.withResolvers<void>();
    onTestFinished(() => resolve());
    const server = await createTestServer({
      'GET /held': async () => {
        await release;
        return { json: {} };
      },
    });
    const fetch = make({ connections: 1 });
    const calls = Promise.all([fetch(`${server.url}/held`), fetch(`${server.url}/held`)]);
    await waitUntil(() => server.requests.length === 1);
    expect((fetch.dispatcher as Agent).stats[server.url]).toMatchObject({ running: 1, pending: 1 });
    resolve();
    await calls;
    expect(server.requests).toHaveLength(2);
  });

  it('pipelines GET requests on one connection with pipelining > 1', async () => {
    const server = await createTestServer({ 'GET /items': { delayMs: 20, json: {} } });
    const fetch = make({ connections: 1, pipelining: 3 });
    const calls = Promise.all([1, 2, 3].map(() => fetch(`${server.url}/items`)));
    await waitUntil(() => (fetch.dispatcher as Agent).stats[server.url]?.running === 3);
    expect((fetch.dispatcher as Agent).stats[server.url]).toMatchObject({ connected: true, pending: 0 });
    await calls;
  });

  it('validates its options with a ConfigError naming the option', () => {
    const attempt = (options: unknown) => {
      try {
        undiciFetch(options as UndiciFetchOptions);
      } catch (error) {
        return error;
      }
      throw new Error('expected a ConfigError');
    };
    expect(attempt({ pipelining: -1 })).toMatchObject({ code: 'CONFIG', option: 'undiciFetch.pipelining' });
    expect(attempt({ allowH2: 'yes' })).toMatchObject({ option: 'undiciFetch.allowH2' });
    expect(attempt({ keepAlive: true })).toMatchObject({ option: 'undiciFetch.keepAlive' });
    expect(attempt({ dispatcher: {} })).toMatchObject({ option: 'undiciFetch.dispatcher' });
    const conflict = attempt({ dispatcher: new Agent(), connections: 4 });
    expect(isConfigError(conflict) && conflict.option).toBe('undiciFetch.connections');
  });

  it('sends through a dispatcher you pass and leaves it open on close()', async () => {
    const server = await createTestServer({ 'GET /items': { json: [1] } });
    const dispatcher = new Agent();
    onTestFinished(() => dispatcher.close());
    const fetch = undiciFetch({ dispatcher });
    expect(fetch.dispatcher).toBe(dispatcher);
    expect(await (await fetch(`${server.url}/items`)).json()).toEqual([1]);
    await fetch.close();
    expect(dispatcher.closed).toBe(false);
  });
});

describe('undiciFetch: HTTP/2', () => {
  const fixtures = new URL('../test/fixtures/', import.meta.url);
  const cert = readFileSync(new URL('localhost-cert.pem', fixtures));
  const key = readFileSync(new URL('localhost-key.pem', fixtures));

  // A TLS server that speaks HTTP/2 and HTTP/1.1 (ALPN picks) and echoes what it received.
  async function startTlsServer() {
    const server = createSecureServer({ cert, key, allowHTTP1: true }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json', 'x-version': request.httpVersion });
        response.end(JSON.stringify({ version: request.httpVersion, body: Buffer.concat(chunks).toString() }));
      });
    });
    const sockets = new Set<Socket>();
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('speaks HTTP/2 with a server that offers it when allowH2 is on', async () => {
    const url = await startTlsServer();
    const fetch = make({ allowH2: true, tls: { ca: cert } });
    const response = await fetch(`${url}/echo`, { method: 'POST', body: 'over h2' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-version')).toBe('2.0');
    expect(await response.json()).toEqual({ version: '2.0', body: 'over h2' });
  });

  it('stays on HTTP/1.1 by default, even when the server offers HTTP/2', async () => {
    const url = await startTlsServer();
    const response = await make({ tls: { ca: cert } })(`${url}/echo`);
    expect(await response.json()).toEqual({ version: '1.1', body: '' });
  });

  it('refuses a server certificate it cannot verify', async () => {
    const url = await startTlsServer();
    const error = await rejection(make()(`${url}/echo`));
    expect(error.message).toBe('fetch failed');
    expect(error.cause?.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
