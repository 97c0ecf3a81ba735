import { noop } from './signal.ts';

/** A response whose body ends the call's deadline when it is read to the end or cancelled. */
export interface GuardedResponse {
  response: Response;
  /** Errors the body with `error` (the deadline passed) and cancels the source. */
  fail(error: unknown): void;
}

/**
 * Hands back a copy of `response` whose body passes the bytes through as they are read, calls
 * `finish` once when the body ends, errors or is cancelled, and can be failed from outside: a total
 * timeout that also covers reading the body (a stalled stream no longer hangs the caller).
 * Status, headers and `url` are kept.
 */
export function guardBody(response: Response, finish: () => void): GuardedResponse {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let open = true;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  // Ends the guard once: true the first time.
  const end = () => {
    if (!open) return false;
    open = false;
    finish();
    return true;
  };
  // With the default high-water mark, one chunk is read ahead of the caller, never more.
  const body = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
    },
    async pull(streamController) {
      try {
        const { done, value } = await reader.read();
        if (!open) return;
        if (!done) return streamController.enqueue(value);
        end();
        streamController.close();
      } catch (error) {
        if (end()) streamController.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  const guarded = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A constructed Response has no URL: keep the one of the response it stands for.
  Object.defineProperty(guarded, 'url', { value: response.url });
  return {
    response: guarded,
    fail(error) {
      if (!end()) return;
      controller.error(error);
      reader.cancel(error).catch(noop);
    },
  };
}
