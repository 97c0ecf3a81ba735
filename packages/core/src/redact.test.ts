import { describe, expect, it } from 'vitest';
import { isSensitiveName, REDACTED, redactBody, redactHeaders, redactUrl } from './redact.ts';

describe('isSensitiveName', () => {
  it.each([
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'api-key',
    'apikey',
    'api_key',
    'apiKey',
    'X-Auth-Token',
    'access_token',
    'accessToken',
    'refresh_token',
    'id_token',
    'client_secret',
    'clientSecret',
    'password',
    'passwd',
    'pwd',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'X-Amz-Security-Token',
    'sig',
    'signature',
    'x-hub-signature-256',
    'stripe-signature',
    'session_id',
    'sessionId',
    'jwt',
    'client_assertion',
    'code_verifier',
    'private_key',
    'secret',
    'token',
    'key',
    'otp',
  ])('treats %s as sensitive', (name) => {
    expect(isSensitiveName(name)).toBe(true);
  });

  it.each([
    'author',
    'keyword',
    'monkey',
    'page',
    'tokenizer',
    'content-type',
    'accept',
    'x-request-id',
    'passage',
    'signal',
  ])('leaves %s alone', (name) => {
    expect(isSensitiveName(name)).toBe(false);
  });

  it('adds names the caller lists, case-insensitively', () => {
    expect(isSensitiveName('X-Tenant', ['x-tenant'])).toBe(true);
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://api.test/v1?api_key=s3cr3t&page=2', 'https://api.test/v1?api_key=[REDACTED]&page=2'],
    ['https://api.test/v1?page=2', 'https://api.test/v1?page=2'],
    ['https://api.test/v1', 'https://api.test/v1'],
    ['https://user:hunter2@api.test/v1', 'https://user:[REDACTED]@api.test/v1'],
    [
      'https://api.test/?access_token=a&token=b&sig=c#frag',
      'https://api.test/?access_token=[REDACTED]&token=[REDACTED]&sig=[REDACTED]#frag',
    ],
    [
      'https://s3.test/o?X-Amz-Signature=abc&X-Amz-Credential=AKID%2F1&x=1',
      'https://s3.test/o?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]&x=1',
    ],
    ['https://api.test/?api%5Fkey=s3cr3t', 'https://api.test/?api%5Fkey=[REDACTED]'],
    ['https://api.test/?%E0%A4%A=1&key=s', 'https://api.test/?%E0%A4%A=1&key=[REDACTED]'],
    ['https://api.test/?flag&key=', 'https://api.test/?flag&key=[REDACTED]'],
  ])('redacts %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('accepts URL objects and extra parameter names', () => {
    expect(redactUrl(new URL('https://api.test/?tenant=acme'), ['tenant'])).toBe(
      `https://api.test/?tenant=${REDACTED}`,
    );
  });
});

describe('redactHeaders', () => {
  it('replaces every secret header value and keeps the auth scheme', () => {
    const headers = new Headers({
      authorization: 'Bearer eyJhbGciOi.secret.token',
      'proxy-authorization': 'Basic dXNlcjpwYXNz',
      cookie: 'session=abc',
      'x-api-key': 'key-123',
      'x-amz-security-token': 'FQoG',
      'content-type': 'application/json',
    });
    expect(redactHeaders(headers)).toEqual({
      authorization: 'Bearer [REDACTED]',
      'proxy-authorization': 'Basic [REDACTED]',
      cookie: REDACTED,
      'x-api-key': REDACTED,
      'x-amz-security-token': REDACTED,
      'content-type': 'application/json',
    });
  });

  it('redacts a bare token in Authorization completely', () => {
    expect(redactHeaders({ Authorization: 'rawtoken' })).toEqual({ authorization: REDACTED });
  });

  it('takes plain objects, entry lists and extra names', () => {
    expect(
      redactHeaders(
        [
          ['X-Tenant-Secret-Id', 'a'],
          ['x-trace', 'b'],
        ],
        ['x-trace'],
      ),
    ).toEqual({
      'x-tenant-secret-id': REDACTED,
      'x-trace': REDACTED,
    });
  });
});

describe('redactBody', () => {
  it('redacts sensitive fields deeply in objects and arrays', () => {
    expect(
      redactBody({ user: 'ada', password: 'x', nested: { client_secret: 'y', list: [{ token: 'z', id: 1 }] } }),
    ).toEqual({
      user: 'ada',
      password: REDACTED,
      nested: { client_secret: REDACTED, list: [{ token: REDACTED, id: 1 }] },
    });
  });

  it('redacts JSON text and form-encoded text', () => {
    expect(redactBody('{"refresh_token":"r","grant_type":"refresh_token"}')).toBe(
      `{"refresh_token":"${REDACTED}","grant_type":"refresh_token"}`,
    );
    expect(redactBody('grant_type=client_credentials&client_secret=s3cr3t')).toBe(
      `grant_type=client_credentials&client_secret=${REDACTED}`,
    );
  });

  it('leaves plain text, malformed JSON and non-plain objects as they are', () => {
    expect(redactBody('hello world')).toBe('hello world');
    expect(redactBody('{"password":')).toBe('{"password":');
    const bytes = new Uint8Array([1]);
    expect(redactBody(bytes)).toBe(bytes);
  });
});
