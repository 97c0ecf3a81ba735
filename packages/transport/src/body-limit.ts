import { BodyTooLargeError, ConfigError, type Middleware, validateOptions } from '@ferrule/core';
import * as v from 'valibot';
import { withBody } from './with-body.ts';

/**
 * Per-call options of `@ferrule/transport`, on `init.ferrule.transport`.
 * @example
 * await api.get('exports/2026.csv', { ferrule: { transport: { maxBodyBytes: 100_000_000 } } });
 */
export interface TransportCallOptions {
  /** Overrides the client's `maxBodyBytes` for this call. */
  maxBodyBytes?: number;
}

declare module '@ferrule/core' {
  interface CallOptions {
    /** Per-call options of `@ferrule/transport`. */
    transport?: TransportCallOptions;
  }
}

/**
 * Options of {@link bodyLimit}.
 * @example
 * bodyLimit({ maxBytes: 1_048_576 });
 */
export interface BodyLimitOptions {
  /** The most bytes a response body may have, after decompression. @default no limit */
  maxBytes?: number;
}

const BodyLimitOptionsSchema = v.strictObject({
  maxBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

// Counts the bytes as they are read and errors the body (cancelling the source) past the limit.
function counted(body: ReadableStream<Uint8Array>, limit: number, request: Request) {
  const reader = body.getReader();
  let received = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      received += value.byteLength;
      if (received <= limit) return controller.enqueue(value);
      const error = new BodyTooLargeError(limit, { request });
      controller.error(error);
      await reader.cancel(error);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function limit(response: Response, maxBytes: number, request: Request): Response {
  const { body, headers } = response;
  if (body === null) return response;
  // RFC 9112 §6.3 and RFC 9113 §8.1.1: an unencoded body is exactly Content-Length bytes, so a
  // declared length decides at once. A decoded (gzip, br) body has no known length: it is counted.
  const length = headers.has('content-encoding') ? Number.NaN : Number(headers.get('content-length') ?? Number.NaN);
  if (!(length >= 0)) return withBody(response, counted(body, maxBytes, request));
  if (length <= maxBytes) return response;
  const error = new BodyTooLargeError(maxBytes, { request });
  body.cancel(error).catch(() => {});
  throw error;
}

/**
 * Caps the size of response bodies. A response whose `Content-Length` is over the limit fails at
 * once; any other body is counted as it is read and fails as soon as it passes the limit. Either way
 * the call fails with a {@link BodyTooLargeError} and the body stream is cancelled, which closes the
 * connection instead of downloading the rest. `createClient` puts it innermost, right above the
 * terminal fetch, so no layer (a cache, a logger) ever buffers an oversized body. A call may set its
 * own limit with `init.ferrule.transport.maxBodyBytes`.
 * @example
 * const fetch = createFetch({ use: [bodyLimit({ maxBytes: 1_048_576 })] });
 * const big = await fetch(url, { ferrule: { transport: { maxBodyBytes: 50_000_000 } } });
 */
export function bodyLimit(options: BodyLimitOptions = {}): Middleware {
  const { maxBytes } = validateOptions(BodyLimitOptionsSchema, options, 'bodyLimit');
  // Not async: with no limit the call costs one property read and no extra promise.
  return function bodyLimit(request, context, next) {
    const maxBodyBytes = context.options.transport?.maxBodyBytes ?? maxBytes;
    if (maxBodyBytes === undefined) return next(request, context);
    if (typeof maxBodyBytes !== 'number' || !(maxBodyBytes >= 0)) {
      return Promise.reject(new ConfigError('transport.maxBodyBytes', 'a number >= 0', { request }));
    }
    return next(request, context).then((response) => limit(response, maxBodyBytes, request));
  };
}
