import { describe, expect, it, vi } from 'vitest';
import { createFakeClock } from './clock.ts';
import { createFetch } from './create-fetch.ts';
import type { Context } from './middleware.ts';
import { abortable, editable, own, replayable } from './request.ts';

const context = (signal = new AbortController().signal): Context => ({
  signal,
  attempt: 1,
  options: {},
  clock: createFakeClock(),
  emit: () => {},
});

describe('editable', () => {
  it('copies a request the chain did not make, once, leaving the original untouched', () => {
    const original = new Request('https://api.test/items', { headers: { accept: 'text/plain' } });
    const copy = editable(original, context());
    copy.headers.set('authorization', 'Bearer x');
    expect(copy).not.toBe(original);
    expect(original.headers.has('authorization')).toBe(false);
    expect(editable(copy, context())).toBe(copy);
    expect(copy.headers.get('accept')).toBe('text/plain');
  });

  it('returns a request the chain made as it is', () => {
    const owned = own(new Request('https://api.test/items'));
    expect(editable(owned, context())).toBe(owned);
  });

  it('moves the body to the copy, which the terminal fetch sends under the context signal', async () => {
    const controller = new AbortController();
    const original = new Request('https://api.test/items', { method: 'PUT', body: 'payload' });
    const copy = editable(original, context(controller.signal));
    expect(await copy.text()).toBe('payload');
    expect(copy.signal).not.toBe(controller.signal);
    const seen: { signal: AbortSignal | null | undefined }[] = [];
    const fetch = createFetch({
      use: [async (request, context, next) => next(editable(request, context), context)],
      fetch: async (input, init) => {
        seen.push({ signal: init?.signal });
        return new Response('ok');
      },
    });
    await fetch(new Request('https://api.test/items', { signal: controller.signal }), {});
    await fetch(new Request('https://api.test/items', { method: 'PUT', body: 'x', signal: controller.signal }));
    controller.abort();
    expect(seen.map(({ signal }) => signal?.aborted)).toEqual([true, true]);
  });
});

describe('replayable', () => {
  it('gives a fresh request with the same body bytes each time', async () => {
    const original = new Request('https://api.test/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
      body: '{"a":1}',
    });
    const replay = await replayable(original);
    const first = replay();
    const second = replay();
    expect(first).not.toBe(second);
    expect(await first.text()).toBe('{"a":1}');
    expect(await second.text()).toBe('{"a":1}');
    expect(second.method).toBe('POST');
    expect(second.headers.get('idempotency-key')).toBe('k1');
    expect(editable(second, context())).toBe(second);
  });

  it('reads a streamed body once', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new TextEncoder().encode('chunk'));
        controller.close();
      },
    });
    const replay = await replayable(
      new Request('https://api.test/upload', { method: 'POST', body, duplex: 'half' } as RequestInit),
    );
    expect(await replay().text()).toBe('chunk');
    expect(await replay().text()).toBe('chunk');
    expect(pulls).toBe(1);
  });

  it('refuses a request whose body was already read', async () => {
    const used = new Request('https://api.test/x', { method: 'POST', body: 'a' });
    await used.text();
    await expect(replayable(used)).rejects.toThrow(TypeError);
  });

  it('replays a request without a body', async () => {
    const replay = await replayable(new Request('https://api.test/x'));
    expect(replay().body).toBeNull();
  });
});

describe('abortable', () => {
  it('settles as the promise does, and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    await expect(abortable(Promise.resolve('token'), controller.signal)).resolves.toBe('token');
    await expect(abortable(Promise.reject(new Error('endpoint down')), controller.signal)).rejects.toThrow(
      'endpoint down',
    );
    expect(removed).toHaveBeenCalledTimes(2);
  });

  it('gives up with the reason as soon as the signal aborts, while the shared work goes on', async () => {
    const controller = new AbortController();
    let finish: (value: string) => void = () => {};
    const shared = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const waiting = abortable(shared, controller.signal);
    controller.abort(new Error('caller left'));
    await expect(waiting).rejects.toThrow('caller left');
    finish('token');
    await expect(shared).resolves.toBe('token');
  });

  it('rejects at once when the signal has already aborted', async () => {
    const reason = new Error('already gone');
    await expect(abortable(new Promise(() => {}), AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
