/** Bodies up to this size are buffered and sent with a `Content-Length`; larger ones are streamed. */
export const BUFFER_BYTES = 65_536;

async function* rest(
  chunks: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* chunks;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Also when the request is aborted half-way: the source is told to stop.
    reader.cancel().catch(() => {});
  }
}

/**
 * Reads a request body the way fetch sends it. A `Request` hides whether its body was a string or a
 * stream, so the first {@link BUFFER_BYTES} are read ahead: a body that ends within them (a string,
 * bytes, a form, a small stream) goes out buffered with a `Content-Length` and can be replayed on a
 * 307/308 redirect; a longer one is streamed with chunked encoding, never buffered whole.
 */
export async function readBody(stream: ReadableStream<Uint8Array>): Promise<{
  body: Uint8Array | AsyncIterable<Uint8Array>;
  replayable: boolean;
  reader?: ReadableStreamDefaultReader;
}> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      const body = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
      return { body, replayable: true };
    }
    chunks.push(value);
    size += value.byteLength;
    if (size > BUFFER_BYTES) {
      return { body: rest(chunks, reader), replayable: false, reader };
    }
  }
}
