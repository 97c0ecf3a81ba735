import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAwsSigner } from './aws-signature.ts';

// AWS's public "aws-sig-v4-test-suite" (see test/fixtures/aws-sig-v4/README.md).
const SUITE = new URL('../test/fixtures/aws-sig-v4', import.meta.url).pathname;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

// A case is a folder that holds `<name>.req`; some sit one level deeper (normalize-path, post-sts-token).
const findCases = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (!statSync(path).isDirectory()) return [];
    return readdirSync(path).includes(`${entry}.req`) ? [path] : findCases(path);
  });

const read = (dir: string, extension: string) => {
  const name = dir.split('/').pop() as string;
  return readFileSync(join(dir, `${name}.${extension}`), 'utf8');
};

// The raw request of a case: the request line, headers (a line that starts with white space is one
// more value of the header above it, as the suite's expected canonical requests treat it), body.
function parseRequest(raw: string) {
  const [head = '', body = ''] = raw.split('\n\n');
  const [requestLine = '', ...lines] = head.split('\n');
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' HTTP/'));
  const headers: [string, string][] = [];
  for (const line of lines) {
    const previous = headers.at(-1);
    if (/^\s/.test(line) && previous) headers.push([previous[0], line]);
    else headers.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]);
  }
  const queryAt = target.indexOf('?');
  return {
    method,
    path: queryAt < 0 ? target : target.slice(0, queryAt),
    query: queryAt < 0 ? '' : target.slice(queryAt + 1),
    headers,
    body,
  };
}

const sha256Hex = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('hex');

const cases = findCases(SUITE);

describe("AWS's Signature Version 4 test suite", () => {
  it('has all 31 cases', () => {
    expect(cases).toHaveLength(31);
  });

  it.each(cases.map((dir) => [dir.slice(SUITE.length + 1), dir]))(
    '%s: canonical request, string to sign and Authorization match byte for byte',
    async (_name, dir) => {
      const request = parseRequest(read(dir, 'req'));
      const amzDate = request.headers.find(([name]) => name.toLowerCase() === 'x-amz-date')?.[1] as string;
      const signature = await createAwsSigner()({
        ...CREDENTIALS,
        ...request,
        payloadHash: await sha256Hex(request.body),
        amzDate,
        region: 'us-east-1',
        service: 'service',
      });
      expect(signature.canonicalRequest).toBe(read(dir, 'creq'));
      expect(signature.stringToSign).toBe(read(dir, 'sts'));
      expect(signature.authorization).toBe(read(dir, 'authz'));
    },
  );
});

describe('createAwsSigner', () => {
  const input = {
    ...CREDENTIALS,
    method: 'GET',
    path: '/',
    query: '',
    headers: [['host', 'example.amazonaws.com'] as const, ['x-amz-date', '20150830T123600Z'] as const],
    payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    amzDate: '20150830T123600Z',
    region: 'us-east-1',
    service: 'service',
  };

  it('derives a new signing key when the day, region or secret changes', async () => {
    const sign = createAwsSigner();
    const first = await sign(input);
    const nextDay = await sign({ ...input, amzDate: '20150831T000000Z' });
    const otherSecret = await sign({ ...input, secretAccessKey: 'another-secret' });
    const again = await sign(input);
    expect(new Set([first.signature, nextDay.signature, otherSecret.signature]).size).toBe(3);
    expect(again.signature).toBe(first.signature);
  });

  it('encodes an S3 path once and keeps its empty segments and dots', async () => {
    const { canonicalRequest } = await createAwsSigner()({ ...input, service: 's3', path: '/my-bucket//a b/./c%2Fd' });
    expect(canonicalRequest.split('\n')[1]).toBe('/my-bucket//a%20b/./c%2Fd');
  });

  it('encodes the wire path of other services again, as AWS requires', async () => {
    const { canonicalRequest } = await createAwsSigner()({ ...input, path: '/documents/a%20b' });
    expect(canonicalRequest.split('\n')[1]).toBe('/documents/a%2520b');
  });

  it('signs a query parameter without a value as `name=`, and keeps a malformed escape as it is', async () => {
    const { canonicalRequest } = await createAwsSigner()({ ...input, query: 'flag&b=%zz&a=1' });
    expect(canonicalRequest.split('\n')[2]).toBe('a=1&b=%25zz&flag=');
  });
});
