import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createFakeClock, isAuthError } from '@ferrule/core';
import { createTestServer, type RecordedRequest } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client, configErrorOf, recorder } from '../test/helpers.ts';
import { type AwsSigV4Options, awsSigV4, presignAwsUrl } from './aws-sig-v4.ts';

const SUITE = new URL('../test/fixtures/aws-sig-v4/', import.meta.url).pathname;
const SUITE_DATE = Date.UTC(2015, 7, 30, 12, 36, 0);
const SUITE_KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
// AWS's S3 documentation examples (sigv4-auth-using-authorization-header, sigv4-query-string-auth).
const S3_DOC_KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const S3_DOC_DATE = Date.UTC(2013, 4, 24);

// The suite's cases that a fetch `Request` can express. Left out, each signed by the signer itself in
// aws-signature.test.ts: repeated and folded header lines (Headers joins them with ", "), and raw
// UTF-8 or spaces in the path (a URL percent-encodes them, and a real request's path is encoded again).
const THROUGH_FETCH = [
  'get-header-value-trim',
  'get-unreserved',
  'get-vanilla',
  'get-vanilla-empty-query-key',
  'get-vanilla-query',
  'get-vanilla-query-order-key',
  'get-vanilla-query-order-key-case',
  'get-vanilla-query-order-value',
  'get-vanilla-query-unreserved',
  'get-vanilla-utf8-query',
  'normalize-path/get-relative',
  'normalize-path/get-relative-relative',
  'normalize-path/get-slash',
  'normalize-path/get-slash-dot-slash',
  'normalize-path/get-slash-pointless-dot',
  'normalize-path/get-slashes',
  'post-header-key-case',
  'post-header-key-sort',
  'post-header-value-case',
  'post-sts-token/post-sts-header-before',
  'post-vanilla',
  'post-vanilla-empty-query-value',
  'post-vanilla-query',
  'post-x-www-form-urlencoded',
  'post-x-www-form-urlencoded-parameters',
];

const caseFile = (path: string, extension: string) =>
  readFileSync(`${SUITE}${path}/${path.split('/').pop()}.${extension}`, 'utf8');

describe('awsSigV4 on the cases of the suite a fetch Request can express', () => {
  it.each(THROUGH_FETCH)('%s: the Authorization header matches', async (path) => {
    const [head = '', body] = caseFile(path, 'req').split('\n\n');
    const [requestLine = '', ...lines] = head.split('\n');
    const [method = '', target = ''] = requestLine.split(' ');
    const headers = new Headers();
    let sessionToken: string | undefined;
    for (const line of lines) {
      const [name = '', value = ''] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)];
      if (/^x-amz-security-token$/i.test(name)) sessionToken = value;
      else if (!/^host$/i.test(name)) headers.append(name, value);
    }
    const { fetch, requests } = recorder();
    const signer = awsSigV4({
      region: 'us-east-1',
      service: 'service',
      ...SUITE_KEYS,
      ...(sessionToken && { sessionToken }),
    });
    await client(signer, { fetch, clock: createFakeClock(SUITE_DATE) }).fetch(
      `https://example.amazonaws.com${target}`,
      {
        method,
        headers,
        ...(body && { body }),
      },
    );
    expect(requests[0]?.headers.get('authorization')).toBe(caseFile(path, 'authz'));
  });
});

describe('awsSigV4', () => {
  it("reproduces AWS's S3 GetObject example with a Range header", async () => {
    const { fetch, requests } = recorder();
    await client(awsSigV4({ region: 'us-east-1', service: 's3', ...S3_DOC_KEYS }), {
      fetch,
      clock: createFakeClock(S3_DOC_DATE),
    }).fetch('https://examplebucket.s3.amazonaws.com/test.txt', { headers: { range: 'bytes=0-9' } });
    const sent = requests[0] as Request;
    expect(sent.headers.get('x-amz-content-sha256')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sent.headers.get('x-amz-date')).toBe('20130524T000000Z');
    expect(sent.headers.get('authorization')).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs a request that a server verifies with its own SigV4 implementation', async () => {
    const server = await createTestServer({
      'POST /prod/orders': (request) => ({ status: verifiesSigV4(request, 'secret-key') ? 200 : 403 }),
    });
    const signer = awsSigV4({
      region: 'eu-west-1',
      service: 'execute-api',
      accessKeyId: 'AKID',
      secretAccessKey: 'secret-key',
    });
    const response = await client(signer).fetch(`${server.url}/prod/orders?b=2&a=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'orders-client/1.0' },
      body: '{"sku":"A-1"}',
    });
    expect(response.status).toBe(200);
    expect(server.requests[0]?.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date,');
  });

  it('signs every attempt with the time of that attempt', async () => {
    const { fetch, requests } = recorder();
    const clock = createFakeClock(SUITE_DATE);
    const api = client(awsSigV4({ region: 'us-east-1', service: 'service', ...SUITE_KEYS }), { fetch, clock });
    await api.fetch('https://example.amazonaws.com/');
    await clock.advance(1_000);
    await api.fetch('https://example.amazonaws.com/');
    const [first, second] = requests.map((request) => request.headers.get('x-amz-date'));
    expect([first, second]).toEqual(['20150830T123600Z', '20150830T123601Z']);
    expect(requests[0]?.headers.get('authorization')).not.toBe(requests[1]?.headers.get('authorization'));
  });

  it('reads rotating temporary credentials from a provider and signs the session token', async () => {
    const { fetch, requests } = recorder();
    let round = 0;
    const credentials = async () => ({
      ...SUITE_KEYS,
      accessKeyId: `ASIA${++round}`,
      sessionToken: `session-${round}`,
    });
    const api = client(awsSigV4({ region: 'us-east-1', service: 'sts', credentials }), {
      fetch,
      clock: createFakeClock(SUITE_DATE),
    });
    await api.fetch('https://sts.amazonaws.com/');
    await api.fetch('https://sts.amazonaws.com/');
    expect(requests.map((request) => request.headers.get('x-amz-security-token'))).toEqual(['session-1', 'session-2']);
    expect(requests[1]?.headers.get('authorization')).toContain('Credential=ASIA2/20150830/us-east-1/sts/aws4_request');
    expect(requests[1]?.headers.get('authorization')).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });

  it('fails with an AuthError that holds no secret when the credentials provider fails or gives nothing', async () => {
    for (const credentials of [
      () => Promise.reject(new Error('imds down')),
      () => ({ secretAccessKey: 'leaky' }) as never,
    ]) {
      const { fetch, requests } = recorder();
      const error = await client(awsSigV4({ region: 'us-east-1', service: 's3', credentials }), { fetch })
        .fetch('https://s3.amazonaws.com/bucket')
        .catch((caught: unknown) => caught);
      expect(isAuthError(error)).toBe(true);
      expect((error as Error).message).not.toContain('leaky');
      expect(requests).toHaveLength(0);
    }
  });

  it('refuses a session token that cannot go into a header without ever quoting it', async () => {
    const leaky = 'session\nsecret-part';
    expect(
      configErrorOf(() => awsSigV4({ region: 'us-east-1', service: 's3', ...S3_DOC_KEYS, sessionToken: leaky }))
        ?.option,
    ).toBe('awsSigV4.sessionToken');
    const { fetch, requests } = recorder();
    const credentials = () => ({ ...S3_DOC_KEYS, sessionToken: leaky });
    const error = await client(awsSigV4({ region: 'us-east-1', service: 's3', credentials }), { fetch })
      .fetch('https://s3.amazonaws.com/bucket')
      .catch((caught: unknown) => caught);
    expect(isAuthError(error) && error.message).toBe(
      'awsSigV4: the credentials provider gave no usable credentials (GET https://s3.amazonaws.com/bucket)',
    );
    expect(JSON.stringify([String(error), (error as Error).stack])).not.toContain('secret-part');
    expect(requests).toHaveLength(0);
  });

  it('signs UNSIGNED-PAYLOAD instead of hashing the body when asked', async () => {
    const { fetch, requests } = recorder();
    await client(awsSigV4({ region: 'us-east-1', service: 's3', ...S3_DOC_KEYS, unsignedPayload: true }), {
      fetch,
    }).fetch('https://examplebucket.s3.amazonaws.com/big.bin', { method: 'PUT', body: 'x'.repeat(1000) });
    expect(requests[0]?.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD');
  });

  it.each([
    [{ service: 's3', accessKeyId: 'a', secretAccessKey: 'b' }, 'awsSigV4.region'],
    [{ region: 'us-east-1', service: 's3' }, 'awsSigV4.accessKeyId'],
    [
      { region: 'us-east-1', service: 's3', accessKeyId: 'a', secretAccessKey: 'b', sesionToken: 'c' },
      'awsSigV4.sesionToken',
    ],
  ])('refuses %j with a ConfigError naming %s', (options, option) => {
    const error = configErrorOf(() => awsSigV4(options as AwsSigV4Options));
    expect(error?.option).toBe(option);
  });
});

describe('presignAwsUrl', () => {
  it("reproduces AWS's presigned GetObject URL example", async () => {
    const url = await presignAwsUrl('https://examplebucket.s3.amazonaws.com/test.txt', {
      region: 'us-east-1',
      service: 's3',
      ...S3_DOC_KEYS,
      expiresInSeconds: 86_400,
      clock: createFakeClock(S3_DOC_DATE),
    });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('keeps the query it was given and signs a session token, verifiable by a server', async () => {
    const url = await presignAwsUrl('https://bucket.s3.eu-west-1.amazonaws.com/reports/q1.pdf?versionId=v%2B1', {
      region: 'eu-west-1',
      service: 's3',
      ...S3_DOC_KEYS,
      sessionToken: 'token/with+chars',
      method: 'PUT',
      clock: createFakeClock(S3_DOC_DATE),
    });
    const query = new URL(url).searchParams;
    expect(url).toContain('?versionId=v%2B1&X-Amz-Algorithm=');
    expect(query.get('X-Amz-Security-Token')).toBe('token/with+chars');
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(presignedSignatureOf(url, 'PUT', S3_DOC_KEYS.secretAccessKey)).toBe(query.get('X-Amz-Signature'));
  });

  it('refuses an expiry beyond 7 days', async () => {
    await expect(
      presignAwsUrl('https://b.s3.amazonaws.com/k', {
        region: 'us-east-1',
        service: 's3',
        ...S3_DOC_KEYS,
        expiresInSeconds: 604_801,
      }),
    ).rejects.toThrow('presignAwsUrl.expiresInSeconds');
  });
});

// An independent SigV4 (node:crypto) for simple paths, as a server would check it.
const hmacOf = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sigV4 = (secret: string, scope: string, amzDate: string, canonicalRequest: string) => {
  const [date = '', region = '', service = ''] = scope.split('/');
  const key = hmacOf(hmacOf(hmacOf(hmacOf(`AWS4${secret}`, date), region), service), 'aws4_request');
  const hash = createHash('sha256').update(canonicalRequest).digest('hex');
  return createHmac('sha256', key).update(`AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${hash}`).digest('hex');
};
const sortedQuery = (search: URLSearchParams, skip?: string) =>
  [...search]
    .filter(([name]) => name !== skip)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .sort()
    .join('&');

function verifiesSigV4(request: RecordedRequest, secret: string): boolean {
  const match = /Credential=[^/]+\/(\S+), SignedHeaders=(\S+), Signature=(\w+)$/.exec(
    request.headers.authorization ?? '',
  );
  if (!match) return false;
  const [, scope = '', signedHeaders = '', signature] = match;
  const url = new URL(request.url, 'http://localhost');
  const canonical = [
    request.method,
    url.pathname,
    sortedQuery(url.searchParams),
    `${signedHeaders
      .split(';')
      .map((name) => `${name}:${request.headers[name]}\n`)
      .join('')}`,
    signedHeaders,
    createHash('sha256').update(request.body).digest('hex'),
  ].join('\n');
  return sigV4(secret, scope.replace(/,$/, ''), request.headers['x-amz-date'] ?? '', canonical) === signature;
}

function presignedSignatureOf(href: string, method: string, secret: string) {
  const url = new URL(href);
  const scope = (url.searchParams.get('X-Amz-Credential') ?? '').split('/').slice(1).join('/');
  const canonical = [
    method,
    url.pathname,
    sortedQuery(url.searchParams, 'X-Amz-Signature'),
    `host:${url.host}\n`,
    'host',
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  return sigV4(secret, scope, url.searchParams.get('X-Amz-Date') ?? '', canonical);
}
