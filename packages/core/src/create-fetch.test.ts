import ky from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { type BareServer, startServer } from '../test/http-server.ts';
import { createFakeClock } from './clock.ts';
import { createFetch, TAKES_REQUEST } from './create-fetch.ts';
import { isConfigError } from './errors.ts';
import type { FerruleEvent } from './events.ts';
import type { Context, FetchFunction, Middleware } from './middleware.ts';
import { editable, neverAborts, replayable } from './request.ts';

// The next handler of a unit test: records what reaches the network and answers as told.
const recordingFetch = (answer: (request: Request) => Response = () => new Response('ok')) => {
  const seen: Request[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const request = input instanceof Request && !init ? input : new Request(input, init);
    seen.push(request);
    return answer(request);
  };
  return { fetch, seen };
};

let server: BareServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createFetch', () => {
  it('runs middlewares as an onion: the outer one sees the request first and the response last', async () => {
    const order: string[] = [];
    const layer =
      (name: string): Middleware =>
      async (request, context, next) => {
        order.push(`${name} request`);
        const response = await next(request, context);
        order.push(`${name} response`);
        return response;
      };
    const { fetch } = recordingFetch(() => {
      order.push('network');
      return new Response('ok');
    });
    await createFetch({ use: [layer('outer'), layer('inner')], fetch })('https://api.test/items');
    expect(order).toEqual(['outer request', 'inner request', 'network', 'inner response', 'outer response']);
  });

  it('lets a middleware answer without calling next', async () => {
    const { fetch, seen } = recordingFetch();
    const cached: Middleware = async () => new Response('from cache', { headers: { 'x-cache': 'hit' } });
    const response = await createFetch({ use: [cached], fetch })('https://api.test/items');
    expect(await response.text()).toBe('from cache');
    expect(seen).toHaveLength(0);
  });

  it('lets a middleware call next twice with a streamed request body that both attempts receive', async () => {
    server = await startServer((_request, response) => response.end('ok'));
    const twice: Middleware = async (request, context, next) => {
      const replay = await replayable(request);
      await (await next(replay(context.signal), context)).text();
      return next(replay(context.signal), { ...context, attempt: 2 });
    };
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('streamed '));
        controller.enqueue(encoder.encode('body'));
        controller.close();
      },
    });
    const response = await createFetch({ use: [twice] })(`${server.url}/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    expect(server.received.map((request) => request.body)).toEqual(['streamed body', 'streamed body']);
  });

  it('rejects with the abort reason when next is called after the signal aborted, reaching nothing below', async () => {
    const { fetch, seen } = recordingFetch();
    const controller = new AbortController();
    const reachedInner: string[] = [];
    const abortsFirst: Middleware = async (request, context, next) => {
      controller.abort(new Error('caller gave up'));
      return next(request, context);
    };
    const inner: Middleware = async (request, context, next) => {
      reachedInner.push(request.url);
      return next(request, context);
    };
    const call = createFetch({ use: [abortsFirst, inner], fetch })('https://api.test/items', {
      signal: controller.signal,
    });
    await expect(call).rejects.toThrow('caller gave up');
    expect(reachedInner).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it('propagates an abort to the terminal fetch: the server sees the client go away', async () => {
    server = await startServer((_request, response) => {
      response.writeHead(200);
      response.write('partial');
    });
    const controller = new AbortController();
    const call = createFetch({ use: [async (request, context, next) => next(request, context)] })(
      `${server.url}/slow`,
      { signal: controller.signal },
    );
    const response = await call;
    const reading = response.text();
    controller.abort();
    await expect(reading).rejects.toThrow();
    await expect.poll(() => server?.received[0]?.aborted).toBe(true);
  });

  it('keeps answering when an event listener throws', async () => {
    const { fetch } = recordingFetch();
    const emitting: Middleware = async (request, context, next) => {
      context.emit({ type: 'cache', status: 'miss' });
      return next(request, context);
    };
    const response = await createFetch({
      use: [emitting],
      fetch,
      onEvent: () => {
        throw new Error('listener bug');
      },
    })('https://api.test/items');
    expect(response.status).toBe(200);
  });

  it('gives listeners the method, a redacted URL and the time, plus one request/response pair per attempt', async () => {
    const { fetch } = recordingFetch(() => new Response('ok', { status: 201 }));
    const events: FerruleEvent[] = [];
    const clock = createFakeClock(1_000);
    await createFetch({ use: [], fetch, clock, onEvent: (event) => events.push(event) })(
      'https://api.test/items?api_key=s3cr3t&page=2',
      { method: 'POST', body: '{}' },
    );
    expect(events).toEqual([
      {
        type: 'request',
        attempt: 1,
        method: 'POST',
        url: 'https://api.test/items?api_key=[REDACTED]&page=2',
        timeMs: 1_000,
      },
      {
        type: 'response',
        attempt: 1,
        status: 201,
        durationMs: 0,
        method: 'POST',
        url: 'https://api.test/items?api_key=[REDACTED]&page=2',
        timeMs: 1_000,
      },
    ]);
  });

  it('reports a network error as an event and rethrows it unchanged', async () => {
    const failure = new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    const events: FerruleEvent[] = [];
    const call = createFetch({
      use: [],
      fetch: async () => {
        throw failure;
      },
      onEvent: (event) => events.push(event),
    })('https://api.test/items');
    await expect(call).rejects.toBe(failure);
    expect(events.at(-1)).toMatchObject({ type: 'network-error', errorName: 'TypeError', errorCode: 'ECONNRESET' });
  });

  it('hands per-call options from init.ferrule to every middleware', async () => {
    const { fetch } = recordingFetch();
    const seenOptions: unknown[] = [];
    const reader: Middleware = async (request, context, next) => {
      seenOptions.push(context.options.retry);
      return next(request, context);
    };
    const ferruleFetch = createFetch({ use: [reader], fetch });
    await ferruleFetch('https://api.test/a', { ferrule: { retry: { maxAttempts: 5 } } });
    await ferruleFetch('https://api.test/b');
    expect(seenOptions).toEqual([{ maxAttempts: 5 }, undefined]);
  });

  it('receives per-call options through ky, which passes its own second argument to a custom fetch', async () => {
    server = await startServer((_request, response) => response.end('{"ok":true}'));
    const seen: Context['options'][] = [];
    const reader: Middleware = async (request, context, next) => {
      seen.push(context.options);
      return next(request, context);
    };
    const api = ky.create({ fetch: createFetch({ use: [reader] }), retry: 0, timeout: false });
    const body = await api.get(`${server.url}/items`, { ferrule: { cache: { ttlMs: 5 } } } as never).json();
    expect(body).toEqual({ ok: true });
    expect(seen).toEqual([{ cache: { ttlMs: 5 } }]);
  });

  it('uses a Request passed without init as it is, and never changes it', async () => {
    const { fetch, seen } = recordingFetch();
    const original = new Request('https://api.test/items', { headers: { accept: 'application/json' } });
    const stamping: Middleware = async (request, context, next) => {
      const changed = editable(request, context);
      changed.headers.set('x-stamp', '1');
      return next(changed, context);
    };
    await createFetch({ use: [stamping], fetch })(original);
    expect(original.headers.get('x-stamp')).toBeNull();
    expect(seen[0]?.headers.get('x-stamp')).toBe('1');
    expect(seen[0]?.headers.get('accept')).toBe('application/json');
  });

  it('sends a bodyless call nobody can abort as URL and fields, so the runtime pays for no signal', async () => {
    const received: { input: unknown; init: RequestInit | undefined }[] = [];
    const fetch: FetchFunction = async (input, init) => {
      received.push({ input, init });
      return new Response('ok');
    };
    const stamping: Middleware = async (request, context, next) => {
      editable(request, context).headers.set('x-stamp', '1');
      return next(request, context);
    };
    const ferruleFetch = createFetch({ use: [stamping], fetch });
    await ferruleFetch('https://api.test/items', { headers: { accept: 'application/json' }, redirect: 'manual' });
    const [plain] = received;
    expect(plain?.input).toBe('https://api.test/items');
    expect(plain?.init?.signal).toBeNull();
    expect(new Headers(plain?.init?.headers).get('x-stamp')).toBe('1');
    expect(new Headers(plain?.init?.headers).get('accept')).toBe('application/json');
    expect(plain?.init?.redirect).toBe('manual');

    // A caller's signal goes with URL and fields, as the signal of the Request that follows it; a
    // layer's own signal too; a body goes as the Request.
    const caller = new AbortController();
    await ferruleFetch('https://api.test/items', { signal: caller.signal });
    await ferruleFetch('https://api.test/items', { method: 'POST', body: 'x' });
    const layer = new AbortController();
    const timed = createFetch({
      use: [async (request, context, next) => next(request, { ...context, signal: layer.signal })],
      fetch,
    });
    await timed('https://api.test/items');
    expect(received.slice(1).map(({ input }) => input instanceof Request)).toEqual([false, true, false]);
    const callerSignal = received[1]?.init?.signal as AbortSignal;
    expect(callerSignal.aborted).toBe(false);
    caller.abort();
    expect(callerSignal.aborted).toBe(true);
    expect(received[2]?.init).toEqual({ signal: null });
    expect(received[3]?.init?.signal).toBe(layer.signal);
  });

  it('marks the signal of a call without one as never aborting, and only that one', async () => {
    const seen: boolean[] = [];
    const probe: Middleware = async (request, context, next) => {
      seen.push(neverAborts(context.signal));
      return next(request, context);
    };
    const ferruleFetch = createFetch({ use: [probe], fetch: async () => new Response('ok') });
    await ferruleFetch('https://api.test/items');
    await ferruleFetch(new URL('https://api.test/items'), { headers: { accept: 'text/plain' } });
    await ferruleFetch('https://api.test/items', { signal: new AbortController().signal });
    await ferruleFetch(new Request('https://api.test/items'));
    await ferruleFetch(new Request('https://api.test/items'), { headers: { accept: 'text/plain' } });
    expect(seen).toEqual([true, true, false, false, false]);
  });

  it('hands a terminal that takes requests the Request itself, with the signal only when it differs', async () => {
    const received: { input: unknown; init: RequestInit | undefined }[] = [];
    const fast = Object.assign(
      async (input: string | URL | Request, init?: RequestInit) => {
        received.push({ input, init });
        return new Response('ok');
      },
      { [TAKES_REQUEST]: true },
    );
    await createFetch({ use: [], fetch: fast })('https://api.test/items');
    const layer = new AbortController();
    await createFetch({
      use: [async (request, context, next) => next(request, { ...context, signal: layer.signal })],
      fetch: fast,
    })('https://api.test/items');
    expect(received.map(({ input }) => input instanceof Request)).toEqual([true, true]);
    expect(received[0]?.init).toEqual({ signal: null });
    expect(received[1]?.init?.signal).toBe(layer.signal);
  });

  it('rejects options that are not middlewares with a ConfigError naming the option', () => {
    expect(() => createFetch({ use: 'retry' as never })).toThrow(/createFetch\.use/);
    try {
      createFetch({ use: [async (request, context, next) => next(request, context), 42 as never] });
      expect.unreachable();
    } catch (error) {
      expect(isConfigError(error)).toBe(true);
      expect((error as Error).message).toContain('createFetch.use.1');
    }
  });

  it('rejects an invalid URL as fetch does, as a rejected promise', async () => {
    await expect(createFetch({ use: [] })('not a url')).rejects.toThrow(TypeError);
  });
});
