import { createHmac } from 'node:crypto';
import { createFakeClock, isAuthError, type Middleware } from '@ferrule/core';
import { createTestServer, type RecordedRequest } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf, recorder } from '../test/helpers.ts';
import { type HmacOptions, hmac } from './hmac.ts';

const SECRET = 'hmac-s3cret';

// An RFC 9421 verifier written apart from the signer: it rebuilds the signature base from what the
// server received and checks the HMAC with node:crypto.
function verifies(request: RecordedRequest, origin: string, secret: string | Buffer = SECRET) {
  const input = /^([^=]+)=\(([^)]*)\)(.*)$/.exec(request.headers['signature-input'] ?? '');
  if (!input) return false;
  const [, label, list = '', params] = input;
  const url = new URL(request.url, origin);
  const derived: Record<string, string> = {
    '@method': request.method,
    '@target-uri': url.href,
    '@authority': url.host,
    '@path': url.pathname,
    '@query': url.search || '?',
  };
  const names = list
    .split(' ')
    .filter(Boolean)
    .map((name) => name.slice(1, -1));
  const base = `${names.map((name) => `"${name}": ${derived[name] ?? request.headers[name]}\n`).join('')}"@signature-params": (${list})${params}`;
  const expected = createHmac('sha256', secret).update(base).digest('base64');
  return request.headers.signature === `${label}=:${expected}:`;
}

describe('hmac, RFC 9421 profile', () => {
  it('reproduces the hmac-sha256 example of RFC 9421 §B.2.5 exactly', async () => {
    const { fetch, requests } = recorder();
    const secret = Buffer.from(
      'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==',
      'base64',
    );
    const middleware = hmac({
      keyId: 'test-shared-secret',
      secret: new Uint8Array(secret),
      components: ['date', '@authority', 'content-type'],
      label: 'sig-b25',
      nonce: false,
      contentDigest: false,
    });
    await client(middleware, { fetch, clock: createFakeClock(1_618_884_473_000) }).fetch(
      'http://example.com/foo?param=Value&Pet=dog',
      {
        method: 'POST',
        headers: {
          date: 'Tue, 20 Apr 2021 02:07:55 GMT',
          'content-type': 'application/json',
          'content-digest':
            'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
        },
        body: '{"hello": "world"}',
      },
    );
    expect(requests[0]?.headers.get('signature-input')).toBe(
      'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    );
    expect(requests[0]?.headers.get('signature')).toBe('sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:');
  });

  it('signs method, target URI and an RFC 9530 Content-Digest of the body, verifiable by the server', async () => {
    const server = await createTestServer({
      'POST /orders': (request) => ({ status: verifies(request, server.url) ? 201 : 401 }),
    });
    const clock = createFakeClock(1_700_000_000_000);
    const response = await client(hmac({ keyId: 'client-1', secret: SECRET }), { clock }).fetch(
      `${server.url}/orders?dry=1`,
      {
        method: 'POST',
        body: '{"hello": "world"}',
      },
    );
    expect(response.status).toBe(201);
    const received = server.requests[0] as RecordedRequest;
    expect(received.headers['content-digest']).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    expect(received.headers['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest"\);created=1700000000;nonce="[\w-]{22}";keyid="client-1"$/,
    );
  });

  it('signs a body-less request without a digest', async () => {
    const server = await createTestServer({
      'GET /items': (request) => ({ status: verifies(request, server.url) ? 200 : 401 }),
    });
    expect((await client(hmac({ keyId: 'client-1', secret: SECRET })).fetch(`${server.url}/items`)).status).toBe(200);
    expect(server.requests[0]?.headers).not.toHaveProperty('content-digest');
    expect(server.requests[0]?.headers['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri"\);created=\d+;nonce=/,
    );
  });

  it('signs every attempt afresh: a new created time and nonce, each signature valid', async () => {
    const server = await createTestServer({
      'PUT /doc': (request) => ({ status: verifies(request, server.url) ? 200 : 401 }),
    });
    const clock = createFakeClock(1_700_000_000_000);
    const retryOnce: Middleware = async (request, context, next) => {
      await next(request.clone(), context);
      await clock.advance(5_000);
      return next(request, { ...context, attempt: 2 });
    };
    const response = await client([retryOnce, hmac({ keyId: 'client-1', secret: SECRET })], { clock }).fetch(
      `${server.url}/doc`,
      {
        method: 'PUT',
        body: 'v2',
      },
    );
    expect(response.status).toBe(200);
    const [first = '', second = ''] = server.requests.map((request) => request.headers['signature-input'] ?? '');
    expect(first).toContain('created=1700000000;');
    expect(second).toContain('created=1700000005;');
    expect(first.match(/nonce="([^"]+)"/)?.[1]).not.toBe(second.match(/nonce="([^"]+)"/)?.[1]);
    expect(server.requests.every((request) => verifies(request, server.url))).toBe(true);
  });

  it('writes expires, alg and tag parameters and derived components when asked', async () => {
    const { fetch, requests } = recorder();
    const clock = createFakeClock(1_700_000_000_000);
    const options: HmacOptions = {
      keyId: 'k',
      secret: SECRET,
      components: ['@method', '@authority', '@scheme', '@request-target', '@path', '@query'],
      nonce: false,
      expiresInSeconds: 60,
      includeAlgorithm: true,
      tag: 'app-v1',
      label: 'req',
    };
    await client(hmac(options), { fetch, clock }).fetch('https://api.example.com:8443/a/b?x=1');
    const sent = requests[0] as Request;
    expect(sent.headers.get('signature-input')).toBe(
      'req=("@method" "@authority" "@scheme" "@request-target" "@path" "@query");created=1700000000;expires=1700000060;alg="hmac-sha256";keyid="k";tag="app-v1"',
    );
    const base = [
      '"@method": GET',
      '"@authority": api.example.com:8443',
      '"@scheme": https',
      '"@request-target": /a/b?x=1',
      '"@path": /a/b',
      '"@query": ?x=1',
      `"@signature-params": ${sent.headers.get('signature-input')?.slice(4)}`,
    ].join('\n');
    expect(sent.headers.get('signature')).toBe(`req=:${createHmac('sha256', SECRET).update(base).digest('base64')}:`);
  });

  it('fails with an AuthError naming a header component the request lacks', async () => {
    const { fetch, requests } = recorder();
    const error = await client(hmac({ keyId: 'k', secret: SECRET, components: ['@method', 'x-request-id'] }), { fetch })
      .fetch('https://api.example.com/a')
      .catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.message).toBe(
      'hmac: cannot sign "x-request-id": the request has no such header (GET https://api.example.com/a)',
    );
    expect(requests).toHaveLength(0);
  });

  it.each([
    [{ secret: SECRET }, 'hmac.keyId'],
    [{ secret: '', keyId: 'k' }, 'hmac.secret'],
    [{ secret: SECRET, keyId: 'k"1' }, 'hmac.keyId'],
    [{ secret: SECRET, keyId: 'k', components: ['@status'] }, 'hmac.components.0'],
    [{ secret: SECRET, keyId: 'k', components: ['Content-Type'] }, 'hmac.components.0'],
    [{ secret: SECRET, keyId: 'k', contentDigest: 'md5' }, 'hmac.contentDigest'],
    [{ secret: SECRET, canonical: () => '', signatureHeader: 'x signature' }, 'hmac.signatureHeader'],
  ])('refuses %j with a ConfigError naming %s', (options, option) => {
    const error = configErrorOf(() => hmac(options as HmacOptions));
    expect(error?.option).toBe(option);
    expect(error?.message).not.toContain(SECRET);
  });
});

describe('hmac, custom profile', () => {
  it('signs the canonical string an API defines, and adds its headers', async () => {
    const server = await createTestServer({ 'POST /v1/payments': { status: 202 } });
    const clock = createFakeClock(1_700_000_000_000);
    const middleware = hmac({
      secret: SECRET,
      keyId: 'merchant-9',
      canonical: ({ method, url, body, timestamp, nonce }) =>
        `${timestamp}\n${nonce}\n${method}\n${url.pathname}\n${body}`,
      signatureHeader: 'x-signature',
      headers: ({ timestamp, nonce, keyId }) => ({
        'x-timestamp': String(timestamp),
        'x-nonce': nonce,
        'x-key-id': keyId ?? '',
      }),
    });
    await client(middleware, { clock }).fetch(`${server.url}/v1/payments`, { method: 'POST', body: '{"amount":100}' });
    const { headers } = server.requests[0] as RecordedRequest;
    expect(headers['x-timestamp']).toBe('1700000000');
    expect(headers['x-key-id']).toBe('merchant-9');
    const canonical = `1700000000\n${headers['x-nonce']}\nPOST\n/v1/payments\n{"amount":100}`;
    expect(headers['x-signature']).toBe(createHmac('sha256', SECRET).update(canonical).digest('hex'));
    expect(headers).not.toHaveProperty('signature-input');
  });

  it("fails with an AuthError, not fetch's TypeError that would quote it, on an extra header it cannot send", async () => {
    const { fetch, requests } = recorder();
    const middleware = hmac({
      secret: SECRET,
      canonical: () => 'x',
      headers: () => ({ 'x-account': 'acct\r\nsecret-part' }),
    });
    const error = await client(middleware, { fetch })
      .fetch('https://api.example.com/a')
      .catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.message).toBe(
      'hmac: the "x-account" header has a value that cannot be sent (GET https://api.example.com/a)',
    );
    expect(String(error)).not.toContain('secret-part');
    expect(requests).toHaveLength(0);
  });

  it('signs with SHA-512 in base64 when asked, with an async canonical function', async () => {
    const { fetch, requests } = recorder();
    const middleware = hmac({
      secret: SECRET,
      algorithm: 'hmac-sha512',
      encoding: 'base64',
      signatureHeader: 'x-mac',
      canonical: async ({ url }) => url.search,
    });
    await client(middleware, { fetch }).fetch('https://api.example.com/a?b=c');
    expect(requests[0]?.headers.get('x-mac')).toBe(createHmac('sha512', SECRET).update('?b=c').digest('base64'));
  });
});
