import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { createFakeClock, createFetch, TimeoutError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { cacheLayer, rateLimitLayer, recordingFetch, retryLayer, runToEnd } from '../test/layers.ts';
import { type LogLevel, type LogRecord, logging } from './logging.ts';

const API = 'https://api.example.test';

// A logger that keeps what it is given, by level.
function memoryLogger() {
  const lines: { level: LogLevel; record: LogRecord; message: string }[] = [];
  const at = (level: LogLevel) => (record: LogRecord, message: string) => void lines.push({ level, record, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('logging', () => {
  it('writes one record per call with method, redacted URL, status, duration and attempts', async () => {
    const { lines, logger } = memoryLogger();
    const clock = createFakeClock(0);
    const { fetch } = recordingFetch(async () => {
      await clock.advance(42);
      return new Response('{}');
    });
    await createFetch({ use: [logging({ logger })], fetch, clock })(`${API}/items?api_key=s3cr3t&page=2`);
    expect(lines).toEqual([
      {
        level: 'info',
        record: {
          method: 'GET',
          url: `${API}/items?api_key=[REDACTED]&page=2`,
          status: 200,
          durationMs: 42,
          attempts: 1,
        },
        message: `GET ${API}/items?api_key=[REDACTED]&page=2 200 in 42 ms`,
      },
    ]);
  });

  it('sums up retries, cache status and rate-limit wait of the layers below', async () => {
    const { lines, logger } = memoryLogger();
    const clock = createFakeClock(0);
    let count = 0;
    const { fetch } = recordingFetch(() => new Response('{}', { status: ++count === 1 ? 503 : 200 }));
    const client = createFetch({
      use: [logging({ logger }), cacheLayer(), retryLayer({ delayMs: 100 }), rateLimitLayer({ waitMs: 250 })],
      fetch,
      clock,
    });
    await runToEnd(clock, client(`${API}/items`));
    await runToEnd(clock, client(`${API}/items`));
    expect(lines.map((line) => line.record)).toEqual([
      {
        method: 'GET',
        url: `${API}/items`,
        status: 200,
        durationMs: 600,
        attempts: 2,
        retries: 1,
        cache: 'miss',
        rateLimitWaitMs: 500,
      },
      { method: 'GET', url: `${API}/items`, status: 200, durationMs: 0, attempts: 0, cache: 'hit' },
    ]);
    expect(lines[0]?.message).toBe(`GET ${API}/items 200 in 600 ms (2 attempts)`);
  });

  it('adds one debug record per attempt at debug level, and none above it', async () => {
    const clock = createFakeClock(0);
    let count = 0;
    const { fetch } = recordingFetch(async () => {
      await clock.advance(10);
      if (++count === 1) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
      return new Response(null, { status: 204 });
    });
    const run = async (level: LogLevel) => {
      const { lines, logger } = memoryLogger();
      count = 0;
      const client = createFetch({ use: [logging({ logger, level }), retryLayer({ delayMs: 5 })], fetch, clock });
      await runToEnd(clock, client(`${API}/items`));
      return lines;
    };
    const debug = await run('debug');
    expect(debug.map(({ level, record }) => [level, record.attempt, record.status, record.errorCode])).toEqual([
      ['debug', 1, undefined, 'ECONNRESET'],
      ['debug', 2, 204, undefined],
      ['info', undefined, 204, undefined],
    ]);
    expect(debug[0]?.message).toBe(`GET ${API}/items attempt 1: failed: TypeError (ECONNRESET) in 10 ms`);
    expect(debug[1]?.message).toBe(`GET ${API}/items attempt 2: 204 in 10 ms`);
    expect((await run('info')).map((line) => line.level)).toEqual(['info']);
  });

  it('logs 4xx as warn, 5xx and failures as error, with the error code', async () => {
    const { lines, logger } = memoryLogger();
    const { fetch } = recordingFetch((request) => {
      if (request.url.includes('/slow')) throw new TimeoutError('attempt', 50, { request });
      return new Response(null, { status: request.url.endsWith('/missing') ? 404 : 500 });
    });
    const client = createFetch({ use: [logging({ logger })], fetch });
    await client(`${API}/missing`);
    await client(`${API}/broken`);
    await expect(client(`${API}/slow?token=abc`)).rejects.toThrow(TimeoutError);
    expect(lines.map((line) => line.level)).toEqual(['warn', 'error', 'error']);
    expect(lines[2]?.record).toMatchObject({
      errorName: 'TimeoutError',
      errorCode: 'TIMEOUT',
      errorMessage: `Attempt timed out after 50 ms (GET ${API}/slow?token=[REDACTED])`,
    });
    expect(lines[2]?.record).not.toHaveProperty('status');
    expect(lines[2]?.message).toMatch(/ failed: TimeoutError \(TIMEOUT\) in \d+ ms$/);
  });

  it('writes only what reaches the level asked for, and nothing when silent', async () => {
    const { fetch } = recordingFetch(
      (request) => new Response(null, { status: request.url.endsWith('/bad') ? 500 : 200 }),
    );
    for (const [level, expected] of [
      ['warn', ['error']],
      ['error', ['error']],
      ['silent', []],
    ] as const) {
      const { lines, logger } = memoryLogger();
      const client = createFetch({ use: [logging({ logger, level })], fetch });
      await client(`${API}/good`);
      await client(`${API}/bad`);
      expect(lines.map((line) => line.level)).toEqual(expected);
    }
  });

  it('redacts headers and body fields, including names the user adds', async () => {
    const { lines, logger } = memoryLogger();
    const { fetch } = recordingFetch(
      () =>
        new Response(JSON.stringify({ access_token: 'tok-123', tenantSecretNumber: 7, name: 'ada' }), {
          headers: { 'content-type': 'application/json', 'set-cookie': 'sid=cookie-999', 'x-request-id': 'r1' },
        }),
    );
    const client = createFetch({
      use: [logging({ logger, headers: true, body: true, redact: ['x-tenant', 'tenantSecretNumber'] })],
      fetch,
    });
    await client(`${API}/login`, {
      method: 'POST',
      headers: {
        authorization: 'Basic dXNlcjpwYXNz',
        cookie: 'a=b',
        'x-tenant': 'acme',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ user: 'ada', password: 'pw-456' }),
    });
    await expect.poll(() => lines.length).toBe(1);
    const record = lines[0]?.record;
    expect(record?.requestHeaders).toMatchObject({
      authorization: 'Basic [REDACTED]',
      cookie: '[REDACTED]',
      'x-tenant': '[REDACTED]',
      'content-type': 'application/json',
    });
    expect(record?.responseHeaders).toMatchObject({ 'set-cookie': '[REDACTED]', 'x-request-id': 'r1' });
    expect(JSON.parse(record?.requestBody ?? '')).toEqual({ user: 'ada', password: '[REDACTED]' });
    expect(JSON.parse(record?.responseBody ?? '')).toEqual({
      access_token: '[REDACTED]',
      tenantSecretNumber: '[REDACTED]',
      name: 'ada',
    });
  });

  it('describes bodies it cannot redact field by field instead of logging them', async () => {
    const { lines, logger } = memoryLogger();
    const answers = [
      new Response('{"password": "pw-1", broken', { headers: { 'content-type': 'application/json' } }),
      new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream' } }),
      new Response(JSON.stringify({ password: 'x'.repeat(100) }), {
        headers: { 'content-type': 'application/json', 'content-length': '115' },
      }),
      new Response(JSON.stringify({ password: 'x'.repeat(100) }), { headers: { 'content-type': 'application/json' } }),
    ];
    const { fetch } = recordingFetch(() => answers.shift() ?? new Response());
    const client = createFetch({ use: [logging({ logger, body: true, maxBodyBytes: 64 })], fetch });
    for (let index = 0; index < 4; index++) await (await client(`${API}/x`)).arrayBuffer();
    await expect.poll(() => lines.length).toBe(4);
    expect(lines.map((line) => line.record.responseBody)).toEqual([
      '[malformed JSON body of 27 bytes]',
      '[application/octet-stream body]',
      '[body of 115 bytes]',
      '[body of more than 64 bytes]',
    ]);
  });

  it('leaves the caller the whole body to read when it logs bodies', async () => {
    const { logger } = memoryLogger();
    const server = await createTestServer({ 'POST /echo': (request) => ({ json: { got: request.json() } }) });
    const client = createFetch({ use: [logging({ logger, body: true })] });
    const response = await client(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(await response.json()).toEqual({ got: { n: 1 } });
    expect(server.requests[0]?.json()).toEqual({ n: 1 });
  });

  it('never fails a call when the logger throws', async () => {
    const throwing = {
      info: () => {
        throw new Error('disk full');
      },
    };
    const response = await createFetch({ use: [logging({ logger: throwing })], fetch: recordingFetch().fetch })(API);
    expect(response.status).toBe(200);
  });

  it('falls back to info when the logger lacks the level method', async () => {
    const seen: string[] = [];
    const logger = { info: (_record: LogRecord, message: string) => void seen.push(message) };
    const { fetch } = recordingFetch(() => new Response(null, { status: 503 }));
    await createFetch({ use: [logging({ logger })], fetch, clock: createFakeClock(0) })(`${API}/x`);
    expect(seen).toEqual([`GET ${API}/x 503 in 0 ms`]);
  });

  it('writes JSON lines through pino, records merged and the message as msg', async () => {
    const written: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void written.push(JSON.parse(line)) });
    const server = await createTestServer({ 'GET /items': { json: [] } });
    await createFetch({ use: [logging({ logger, level: 'debug' })] })(`${server.url}/items?token=t0k`);
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({ level: 20, attempt: 1, status: 200 });
    expect(written[1]).toMatchObject({
      level: 30,
      method: 'GET',
      url: `${server.url}/items?token=[REDACTED]`,
      status: 200,
      attempts: 1,
      msg: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/items\?token=\[REDACTED\] 200 in \d+ ms$/),
    });
  });

  it('writes through a console', async () => {
    let output = '';
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const logger = new Console({ stdout, stderr: stdout });
    await createFetch({ use: [logging({ logger })], fetch: recordingFetch().fetch })(`${API}/x?password=pw`);
    expect(output).toContain(`url: '${API}/x?password=[REDACTED]'`);
    expect(output).toContain(`GET ${API}/x?password=[REDACTED] 200 in`);
    expect(output).not.toContain('=pw');
  });

  it.each([
    [{ logger: {} }, 'logging.logger'],
    [{ logger: 'console' }, 'logging.logger'],
    [{ level: 'verbose' }, 'logging.level'],
    [{ redact: 'authorization' }, 'logging.redact'],
    [{ maxBodyBytes: -1 }, 'logging.maxBodyBytes'],
    [{ body: 'yes' }, 'logging.body'],
    [{ header: true }, 'logging.header'],
  ])('refuses %o with a ConfigError naming %s', (options, option) => {
    expect(() => logging(options as never)).toThrow(expect.objectContaining({ code: 'CONFIG', option }));
  });
});
