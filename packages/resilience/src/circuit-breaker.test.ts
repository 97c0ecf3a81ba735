import {
  type CircuitOpenError,
  createFakeClock,
  createFetch,
  isCircuitOpenError,
  type KeyValueStore,
  memoryStore,
  TimeoutError,
} from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { recordEvents, recordingFetch } from '../test/helpers.ts';
import { type CircuitSnapshot, circuitBreaker } from './circuit-breaker.ts';

const consecutive = (threshold: number) => ({ type: 'consecutive', threshold }) as const;

describe('circuitBreaker over real HTTP', () => {
  it('opens after 3 failures, refuses without reaching the server, half-opens after 10 s and closes', async () => {
    const server = await createTestServer({
      'GET /items': [{ status: 503 }, { status: 503 }, { status: 503 }, { json: ['ok'] }],
    });
    const clock = createFakeClock();
    const recorded = recordEvents();
    const fetch = createFetch({
      use: [circuitBreaker({ breaker: consecutive(3), halfOpenAfterMs: 10_000 })],
      clock,
      onEvent: recorded.onEvent,
    });
    for (let call = 0; call < 3; call++) expect((await fetch(`${server.url}/items`)).status).toBe(503);
    expect(recorded.of('circuit')).toEqual([{ key: server.url, state: 'open', previous: 'closed' }]);

    const refused = await fetch(`${server.url}/items`).catch((error: unknown) => error);
    expect(isCircuitOpenError(refused)).toBe(true);
    expect(refused).toMatchObject({ key: server.url, retryAfterMs: 10_000 });
    expect((refused as Error).message).toBe(`Circuit open for ${server.url} (GET ${server.url}/items)`);
    expect(server.requests).toHaveLength(3);

    await clock.advance(9_999);
    await expect(fetch(`${server.url}/items`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 1 });
    expect(server.requests).toHaveLength(3);
    await clock.advance(1);
    const probe = await fetch(`${server.url}/items`);
    expect(await probe.json()).toEqual(['ok']);
    expect(server.requests).toHaveLength(4);
    expect(recorded.of('circuit').slice(1)).toEqual([
      { key: server.url, state: 'half-open', previous: 'open' },
      { key: server.url, state: 'closed', previous: 'half-open' },
    ]);
    expect((await fetch(`${server.url}/items`)).status).toBe(200);
  });

  it('keeps one circuit per origin, so one dead host does not open another', async () => {
    const dead = await createTestServer({ 'GET /*': { status: 500 } });
    const alive = await createTestServer({ 'GET /*': { json: {} } });
    const fetch = createFetch({ use: [circuitBreaker({ breaker: consecutive(2) })], clock: createFakeClock() });
    await fetch(`${dead.url}/a`);
    await fetch(`${dead.url}/b`);
    await expect(fetch(`${dead.url}/c`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', key: dead.url });
    expect((await fetch(`${alive.url}/a`)).status).toBe(200);
    expect(alive.requests).toHaveLength(1);
  });

  it('counts connection failures, but not 4xx answers', async () => {
    const server = await createTestServer({ 'GET /reset': { reset: true }, 'GET /missing': { status: 404 } });
    const fetch = createFetch({ use: [circuitBreaker({ breaker: consecutive(2) })], clock: createFakeClock() });
    for (let call = 0; call < 5; call++) expect((await fetch(`${server.url}/missing`)).status).toBe(404);
    await expect(fetch(`${server.url}/reset`)).rejects.toThrow(TypeError);
    await expect(fetch(`${server.url}/reset`)).rejects.toThrow(TypeError);
    await expect(fetch(`${server.url}/missing`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });
});

describe('circuitBreaker states', () => {
  const terminal = (statuses: number[]) =>
    recordingFetch((_request, index) => new Response(null, { status: statuses[index] ?? 200 }));

  it('reopens for another halfOpenAfterMs when the probe fails', async () => {
    const { fetch: next, seen } = terminal([500, 500, 503]);
    const clock = createFakeClock();
    const fetch = createFetch({
      use: [circuitBreaker({ breaker: consecutive(2), halfOpenAfterMs: 1_000 })],
      fetch: next,
      clock,
    });
    await fetch('https://api.test/a');
    await fetch('https://api.test/a');
    await clock.advance(1_000);
    expect((await fetch('https://api.test/a')).status).toBe(503);
    await clock.advance(999);
    await expect(fetch('https://api.test/a')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await clock.advance(1);
    expect((await fetch('https://api.test/a')).status).toBe(200);
    expect(seen).toHaveLength(4);
  });

  it('lets one probe through at a time while half-open', async () => {
    let answer: (response: Response) => void = () => {};
    const { fetch: next, seen } = recordingFetch((_request, index) =>
      index === 1 ? new Promise<Response>((resolve) => (answer = resolve)) : new Response(null, { status: 500 }),
    );
    const clock = createFakeClock();
    const fetch = createFetch({
      use: [circuitBreaker({ breaker: consecutive(1), halfOpenAfterMs: 100 })],
      fetch: next,
      clock,
    });
    await fetch('https://api.test/a');
    await clock.advance(100);
    const probe = fetch('https://api.test/a');
    await expect(fetch('https://api.test/a')).rejects.toSatisfy(
      (error: CircuitOpenError) => isCircuitOpenError(error) && error.retryAfterMs === undefined,
    );
    expect(seen).toHaveLength(2);
    answer(new Response('ok'));
    expect((await probe).status).toBe(200);
    // Closed again: the next failure is counted from zero and reaches the server.
    expect((await fetch('https://api.test/a')).status).toBe(500);
    expect(seen).toHaveLength(3);
  });

  it('counts attempt timeouts as failures, and neither a caller abort nor other errors', async () => {
    const { fetch: next } = recordingFetch(async (request) => {
      if (request.url.endsWith('/plain')) throw new Error('not a failure');
      if (request.url.endsWith('/slow')) throw new TimeoutError('attempt', 10);
      return new Promise<Response>((_resolve, reject) => {
        request.signal.addEventListener('abort', () => reject(request.signal.reason));
      });
    });
    const fetch = createFetch({
      use: [circuitBreaker({ breaker: consecutive(2) })],
      fetch: next,
      clock: createFakeClock(),
    });
    await expect(fetch('https://api.test/plain')).rejects.toThrow('not a failure');
    const controller = new AbortController();
    const aborted = fetch('https://api.test/wait', { signal: controller.signal });
    controller.abort(new Error('user left'));
    await expect(aborted).rejects.toThrow('user left');
    await expect(fetch('https://api.test/plain')).rejects.toThrow('not a failure');
    await expect(fetch('https://api.test/slow')).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(fetch('https://api.test/slow')).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(fetch('https://api.test/plain')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  // A client with a sampling breaker, whose server answers with `status.value`.
  const sampling = (durationMs: number, minimumRps: number, status: { value: number }) => {
    const clock = createFakeClock();
    const { fetch: next } = recordingFetch(() => new Response(null, { status: status.value }));
    const breaker = { type: 'sampling', threshold: 0.5, durationMs, minimumRps } as const;
    return { clock, fetch: createFetch({ use: [circuitBreaker({ breaker })], fetch: next, clock }) };
  };

  it('opens a sampling breaker on the failure rate within its window, on the context clock', async () => {
    const status = { value: 200 };
    const { fetch } = sampling(10_000, 1, status);
    // 10 calls in 10 s are the minimum: 5 successes, then failures until more than half failed.
    for (let call = 0; call < 5; call++) await fetch('https://api.test/a');
    status.value = 500;
    for (let call = 0; call < 5; call++) await fetch('https://api.test/a');
    expect((await fetch('https://api.test/a')).status).toBe(500);
    await expect(fetch('https://api.test/a')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  it('lets old calls slide out of the sampling window', async () => {
    const status = { value: 500 };
    const { clock, fetch } = sampling(5_000, 2, status);
    for (let call = 0; call < 9; call++) await fetch('https://api.test/a');
    await clock.advance(5_000);
    status.value = 200;
    for (let call = 0; call < 9; call++) await fetch('https://api.test/a');
    status.value = 500;
    // The 9 old failures have left the window: 1 failure in 10 calls does not open it.
    expect((await fetch('https://api.test/a')).status).toBe(500);
    expect((await fetch('https://api.test/a')).status).toBe(500);
  });

  it('uses the key function and a failureOn predicate', async () => {
    const { fetch: next, seen } = terminal([409, 409, 409]);
    const fetch = createFetch({
      use: [
        circuitBreaker({
          breaker: consecutive(2),
          key: (request) => new URL(request.url).pathname.split('/')[1] ?? '',
          failureOn: ({ response }) => response?.status === 409,
        }),
      ],
      fetch: next,
      clock: createFakeClock(),
    });
    await fetch('https://api.test/orders/1');
    await fetch('https://api.test/orders/2');
    await expect(fetch('https://api.test/orders/3')).rejects.toMatchObject({ key: 'orders' });
    expect((await fetch('https://api.test/users/1')).status).toBe(409);
    expect(seen).toHaveLength(3);
  });

  it('keeps at most 1 000 circuits, dropping the oldest', async () => {
    const { fetch: next } = recordingFetch(
      (request) => new Response(null, { status: request.url.includes('a.test') ? 500 : 200 }),
    );
    const fetch = createFetch({
      use: [circuitBreaker({ breaker: consecutive(2) })],
      fetch: next,
      clock: createFakeClock(),
    });
    await fetch('https://a.test/');
    for (let host = 0; host < 999; host++) await fetch(`https://host-${host}.test/`);
    // a.test is still known: its second failure opens it.
    await fetch('https://a.test/');
    await expect(fetch('https://a.test/')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await fetch('https://b.test/');
    await fetch('https://c.test/');
    for (let host = 0; host < 1_000; host++) await fetch(`https://host-${host}.test/`);
    // Now a.test was dropped, open circuit and all: it is called again.
    expect((await fetch('https://a.test/')).status).toBe(500);
  });
});

describe('circuitBreaker with a shared store', () => {
  it('shares an open circuit between two clients, and its closing', async () => {
    const clock = createFakeClock(1_000);
    const store = memoryStore<CircuitSnapshot>({ clock });
    const first = recordingFetch((_request, index) => new Response(null, { status: index < 2 ? 503 : 200 }));
    const second = recordingFetch(() => new Response('ok'));
    const options = { breaker: consecutive(2), halfOpenAfterMs: 5_000, store };
    const fetchA = createFetch({ use: [circuitBreaker(options)], fetch: first.fetch, clock });
    const fetchB = createFetch({ use: [circuitBreaker(options)], fetch: second.fetch, clock });
    await fetchA('https://api.test/a');
    await fetchA('https://api.test/a');
    await Promise.resolve();
    expect(await store.get('https://api.test')).toEqual({ state: 'open', sinceMs: 1_000 });
    await expect(fetchB('https://api.test/a')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 5_000 });
    expect(second.seen).toHaveLength(0);

    await clock.advance(5_000);
    expect((await fetchA('https://api.test/a')).status).toBe(200);
    await Promise.resolve();
    expect(await store.get('https://api.test')).toEqual({ state: 'closed', sinceMs: 6_000 });
    expect((await fetchB('https://api.test/a')).status).toBe(200);
    expect(second.seen).toHaveLength(1);
  });

  it('uses a store that is a class instance with private fields as it is', async () => {
    class MapStore implements KeyValueStore<CircuitSnapshot> {
      readonly #entries = new Map<string, CircuitSnapshot>();
      async get(key: string) {
        return this.#entries.get(key);
      }
      async set(key: string, value: CircuitSnapshot) {
        this.#entries.set(key, value);
      }
      async delete(key: string) {
        this.#entries.delete(key);
      }
    }
    const store = new MapStore();
    const recorded = recordEvents();
    const { fetch: next } = recordingFetch(() => new Response(null, { status: 500 }));
    const fetch = createFetch({
      use: [circuitBreaker({ breaker: consecutive(1), store })],
      fetch: next,
      clock: createFakeClock(5),
      onEvent: recorded.onEvent,
    });
    await fetch('https://api.test/a');
    expect(await store.get('https://api.test')).toEqual({ state: 'open', sinceMs: 5 });
    expect(recorded.of('store')).toEqual([]);
  });

  it('goes on with its own state when the store fails or holds something else', async () => {
    const broken: KeyValueStore<CircuitSnapshot> = {
      get: async () => {
        throw new Error('connection refused');
      },
      set: async () => {
        throw new Error('connection refused');
      },
      delete: async () => {},
    };
    const garbage: KeyValueStore<CircuitSnapshot> = { ...broken, get: async () => ({ state: 'melted' }) as never };
    for (const store of [broken, garbage]) {
      const recorded = recordEvents();
      const { fetch: next, seen } = recordingFetch(() => new Response(null, { status: 500 }));
      const fetch = createFetch({
        use: [circuitBreaker({ breaker: consecutive(1), store })],
        fetch: next,
        clock: createFakeClock(),
        onEvent: recorded.onEvent,
      });
      expect((await fetch('https://api.test/a')).status).toBe(500);
      await expect(fetch('https://api.test/a')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
      expect(seen).toHaveLength(1);
      expect(recorded.of('store')[0]).toMatchObject({ store: 'circuit', action: 'error' });
    }
  });
});

describe('circuitBreaker options', () => {
  it('rejects wrong options with a ConfigError naming the option', () => {
    const wrong: [unknown, string][] = [
      [{ breaker: { type: 'consecutive', threshold: 0 } }, 'circuitBreaker.breaker.threshold'],
      [{ breaker: { type: 'sampling', threshold: 1.5 } }, 'circuitBreaker.breaker.threshold'],
      [{ breaker: { type: 'count' } }, 'circuitBreaker.breaker.type'],
      [{ breaker: { type: 'magic' } }, 'circuitBreaker.breaker.type'],
      [{ halfOpenAfterMs: -1 }, 'circuitBreaker.halfOpenAfterMs'],
      [{ key: 'origin' }, 'circuitBreaker.key'],
      [{ store: {} }, 'circuitBreaker.store.get'],
      [{ maxCircuits: 10 }, 'circuitBreaker.maxCircuits'],
      [{ failureOn: ['500'] }, 'circuitBreaker.failureOn'],
    ];
    for (const [options, option] of wrong) {
      expect(() => circuitBreaker(options as never), option).toThrow(expect.objectContaining({ code: 'CONFIG' }));
      try {
        circuitBreaker(options as never);
      } catch (error) {
        expect((error as { option: string }).option.startsWith(option)).toBe(true);
      }
    }
  });
});
