/**
 * A copy of `response` with another body: same status, status text and headers, and, unlike a plain
 * `new Response(…)`, the same `url` and `redirected`, which callers and ky read.
 */
export function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  const copy = new Response(body, response);
  Object.defineProperties(copy, {
    url: { value: response.url },
    redirected: { value: response.redirected },
  });
  return copy;
}
