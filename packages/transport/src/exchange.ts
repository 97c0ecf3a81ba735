import type { Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { decoderFor } from './decode.ts';
import { type Outgoing, redirect, splitUrl } from './redirect.ts';
import { readBody } from './request-body.ts';

/** What an exchange needs from the fetch function that made it. */
export interface ExchangeSettings {
  dispatcher: Dispatcher;
  maxRedirects: number;
  decompress: boolean;
  /** Pipelines without waiting for the previous response's headers (pipelining > 1). */
  pipelined: boolean;
}

// Statuses whose response has no body (Fetch standard "null body status").
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Bytes, not chunks: the socket is paused once 64 KiB wait unread, as undici's own body does.
const STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 65_536, size: (chunk) => chunk.byteLength };

/**
 * One fetch on undici's dispatcher API: the dispatch handler, the abort listener and the source of
 * the response body all at once, so that a call allocates one object besides the `Response`.
 */
export class Exchange implements Dispatcher.DispatchHandler, UnderlyingDefaultSource<Uint8Array>, Outgoing {
  url: string;
  origin: string;
  path: string;
  method: string;
  headers: string[];
  body: Uint8Array | AsyncIterable<Uint8Array> | null = null;
  replayable = true;
  readonly #settings: ExchangeSettings;
  readonly #signal: AbortSignal | null;
  readonly #mode: RequestRedirect;
  #redirects = 0;
  #location: string | undefined;
  #status = 0;
  #settled = false;
  #resolve!: (response: Response) => void;
  #reject!: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #sink: ReadableStreamDefaultController<Uint8Array> | undefined;
  #decoder: { head: Transform; tail: Transform; all: Transform[] } | undefined;

  constructor(
    href: string,
    method: string,
    headers: string[],
    signal: AbortSignal | null,
    mode: RequestRedirect,
    settings: ExchangeSettings,
  ) {
    const { url, origin, path } = splitUrl(href);
    this.url = url;
    this.origin = origin;
    this.path = path;
    this.method = method;
    this.headers = headers;
    this.#signal = signal;
    this.#mode = mode;
    this.#settings = settings;
  }

  /** Sends the request; resolves with the response once its headers are in. */
  run(body: ReadableStream<Uint8Array> | null): Promise<Response> {
    const { promise, resolve, reject } = Promise.withResolvers<Response>();
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal?.addEventListener('abort', this);
    if (body === null) this.#send();
    else {
      readBody(body).then(
        (read) => {
          this.body = read.body;
          this.replayable = read.replayable;
          // Aborted while the body was read ahead: tell the stream's source to stop.
          if (this.#settled) read.reader?.cancel().catch(() => {});
          else this.#send();
        },
        (error: unknown) => this.#fail(error),
      );
    }
    return promise;
  }

  #send() {
    this.#controller = undefined;
    this.#location = undefined;
    try {
      this.#settings.dispatcher.dispatch(
        {
          origin: this.origin,
          path: this.path,
          method: this.method,
          headers: this.headers,
          body: this.body as never,
          // undici's default: wait for a response's headers before pipelining the next request.
          blocking: !this.#settings.pipelined && this.method !== 'HEAD',
        },
        this,
      );
    } catch (error) {
      this.#fail(error);
    }
  }

  /** The abort listener. */
  handleEvent(): void {
    const reason = (this.#signal as AbortSignal).reason;
    this.#fail(reason, true);
    this.#controller?.abort(reason);
  }

  // Rejects the call, or errors the body when the response is out; once.
  #fail(error: unknown, aborted = false): void {
    const sink = this.#sink;
    this.#sink = undefined;
    this.#signal?.removeEventListener('abort', this);
    for (const decoder of this.#decoder?.all ?? []) decoder.destroy();
    if (!this.#settled) {
      this.#settled = true;
      this.#reject(aborted ? error : new TypeError('fetch failed', { cause: error }));
    } else sink?.error(aborted ? error : new TypeError('terminated', { cause: error }));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#signal?.aborted) controller.abort(this.#signal.reason);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusText?: string,
  ): void {
    this.#status = status;
    // Repeated Location fields are joined with commas, as fetch's `headers.get` joins them.
    const location = REDIRECTS.has(status) && this.#mode !== 'manual' ? headers.location?.toString() : undefined;
    if (location !== undefined) {
      // Read and drop this response's body, so the connection stays open for the next request.
      if (this.#mode === 'follow') this.#location = location;
      else controller.abort(new TypeError('unexpected redirect'));
      return;
    }
    let response: Response;
    try {
      response = this.#respond(status, headers, statusText);
    } catch (error) {
      // A status or status text that the Response constructor refuses, too many content codings.
      controller.abort(error as Error);
      return;
    }
    this.#settled = true;
    this.#resolve(response);
  }

  #respond(status: number, headers: Record<string, string | string[] | undefined>, statusText = '') {
    const hasBody = !NULL_BODY.has(status) && this.method !== 'HEAD';
    const body = hasBody ? new ReadableStream(this, STRATEGY) : null;
    const response = new Response(body, { status, statusText });
    const target = response.headers;
    for (const name in headers) {
      const value = headers[name];
      if (typeof value === 'string') target.append(name, value);
      else if (value) for (const item of value) target.append(name, item);
    }
    // A constructed Response has an empty `url`; fetch's has the final URL.
    Object.defineProperty(response, 'url', { value: this.url });
    if (this.#redirects > 0) Object.defineProperty(response, 'redirected', { value: true });
    const encoding = headers['content-encoding'];
    if (hasBody && encoding && this.#settings.decompress) this.#decode(String(encoding));
    return response;
  }

  #decode(encoding: string) {
    const decoder = decoderFor(encoding);
    if (!decoder) return;
    this.#decoder = decoder;
    const onError = (error: Error) => {
      this.#fail(error);
      this.#controller?.abort(error);
    };
    for (const stream of decoder.all) stream.on('error', onError);
    decoder.head.on('drain', () => this.#controller?.resume());
    decoder.tail.on('data', (chunk: Buffer) => {
      if (!this.#push(chunk)) decoder.tail.pause();
    });
    decoder.tail.on('end', () => this.#close());
  }

  // Hands a chunk to the body; false when its queue is full.
  #push(chunk: Uint8Array): boolean {
    const sink = this.#sink;
    if (!sink) return true;
    sink.enqueue(chunk);
    return (sink.desiredSize as number) > 0;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#location !== undefined) return;
    if (this.#decoder) {
      if (!this.#decoder.head.write(chunk)) controller.pause();
    } else if (!this.#push(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.#location !== undefined) this.#follow(this.#location);
    else if (this.#decoder) this.#decoder.head.end();
    else this.#close();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(error);
  }

  #close() {
    this.#signal?.removeEventListener('abort', this);
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.close();
  }

  #follow(location: string) {
    try {
      if (++this.#redirects > this.#settings.maxRedirects) throw new TypeError('too many redirects');
      redirect(this, this.#status, location);
    } catch (error) {
      return this.#fail(error);
    }
    this.#send();
  }

  // The body stream's source (the exchange is its `underlyingSource`).

  start(sink: ReadableStreamDefaultController<Uint8Array>): void {
    this.#sink = sink;
  }

  pull(): void {
    this.#decoder?.tail.resume();
    this.#controller?.resume();
  }

  cancel(reason: unknown): void {
    // The caller gave up on the body: stop receiving it (this closes the connection, as in fetch).
    this.#sink = undefined;
    this.#fail(reason, true);
    this.#controller?.abort(reason instanceof Error ? reason : new Error('cancelled', { cause: reason }));
  }
}
