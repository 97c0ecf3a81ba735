import { createFakeClock, type EmittedEvent, TimeoutError } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { describeError, observeCall, remembered, scrub, statusClass } from './call.ts';

describe('observeCall', () => {
  const context = (events: EmittedEvent[]) => ({
    signal: new AbortController().signal,
    attempt: 1,
    options: {},
    clock: createFakeClock(0),
    emit: (event: EmittedEvent) => void events.push(event),
  });

  it('tallies the events of the layers below and still hands each one on', async () => {
    const handedOn: EmittedEvent[] = [];
    const call = await observeCall(new Request('https://a.test/'), context(handedOn), async (_request, inner) => {
      inner.emit({ type: 'cache', status: 'miss' });
      inner.emit({ type: 'ratelimit', action: 'waited', key: 'k', waitMs: 30 });
      inner.emit({ type: 'ratelimit', action: 'waited', key: 'k', waitMs: Number.POSITIVE_INFINITY });
      inner.emit({ type: 'request', attempt: 1 });
      inner.emit({ type: 'response', attempt: 1, status: 200, durationMs: 1 });
      inner.emit({ type: 'cache', status: 'stored' });
      return new Response('x');
    });
    expect(call).toMatchObject({ attempts: 1, cache: 'miss', rateLimitWaitMs: 30, failed: false });
    expect(call.events).toEqual({ cache: 2, ratelimit: 2 });
    expect(handedOn).toHaveLength(6);
  });

  it('keeps emitting when the listener throws, and settles a failure instead of throwing', async () => {
    const handedOn: EmittedEvent[] = [];
    const failure = new Error('down');
    const call = await observeCall(
      new Request('https://a.test/'),
      context(handedOn),
      async (_request, inner) => {
        inner.emit({ type: 'request', attempt: 1 });
        throw failure;
      },
      () => {
        throw new Error('listener bug');
      },
    );
    expect(call).toMatchObject({ failed: true, error: failure, attempts: 1, response: undefined });
    expect(handedOn).toEqual([{ type: 'request', attempt: 1 }]);
  });
});

describe('statusClass', () => {
  it.each([
    [200, '2xx'],
    [101, '1xx'],
    [304, '3xx'],
    [429, '4xx'],
    [599, '5xx'],
    [undefined, 'error'],
    [0, 'error'],
    [999, 'error'],
  ])('files %s under %s', (status, expected) => {
    expect(statusClass(status)).toBe(expected);
  });
});

describe('describeError', () => {
  it('names a ferrule error by its code and keeps its redacted message', () => {
    const error = new TimeoutError('total', 100, { request: { method: 'GET', url: 'https://a.test/?token=t' } });
    expect(describeError(error, [])).toEqual({
      name: 'TimeoutError',
      code: 'TIMEOUT',
      message: 'Call timed out after 100 ms (GET https://a.test/?token=[REDACTED])',
    });
  });

  it('takes the system code of a network failure from its cause', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) });
    expect(describeError(error, [])).toMatchObject({ name: 'TypeError', code: 'ENOTFOUND' });
  });

  it('redacts URLs in any message, with the extra names', () => {
    const error = new Error('GET https://a.test/x?tenant=acme&api_key=k failed');
    expect(describeError(error, ['tenant']).message).toBe(
      'GET https://a.test/x?tenant=[REDACTED]&api_key=[REDACTED] failed',
    );
  });

  it.each([[undefined], [null], ['a string'], [42]])('describes a thrown %s without failing', (thrown) => {
    expect(describeError(thrown, [])).toMatchObject({ name: 'Error', code: undefined, message: '' });
  });
});

describe('scrub', () => {
  it('redacts every URL in a text and leaves the punctuation around it', () => {
    expect(scrub('see (https://a.test/?sig=1), then http://b.test/?password=2.', [])).toBe(
      'see (https://a.test/?sig=[REDACTED]), then http://b.test/?password=[REDACTED].',
    );
    expect(scrub('no url here', [])).toBe('no url here');
  });
});

describe('remembered', () => {
  it('redacts each URL once while it is remembered, and stays bounded', () => {
    let computed = 0;
    const redact = remembered((url) => {
      computed++;
      return url.toUpperCase();
    });
    expect(redact('a')).toBe('A');
    expect(redact('a')).toBe('A');
    expect(computed).toBe(1);
    for (let index = 0; index < 300; index++) expect(redact(`u${index}`)).toBe(`U${index}`);
    expect(redact('a')).toBe('A');
    expect(computed).toBe(302);
  });
});
