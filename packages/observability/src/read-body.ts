import { redactBody } from '@ferrule/core';

// Bodies worth logging: JSON, form data, text, XML. Anything else is named by its size only.
const TEXTUAL = /json|text\/|form-urlencoded|xml/i;

/**
 * A message's body for a log record, redacted: read from a clone (the caller's body is never
 * touched), at most `maxBytes`. A larger or binary body is described, never cut (a cut JSON body
 * could no longer be redacted field by field).
 */
export async function readBody(
  message: Request | Response,
  maxBytes: number,
  names: readonly string[],
): Promise<string | undefined> {
  if (!message.body) return undefined;
  const type = message.headers.get('content-type') ?? '';
  const length = Number(message.headers.get('content-length') ?? Number.NaN);
  if (!TEXTUAL.test(type)) return `[${type || 'untyped'} body]`;
  if (length > maxBytes) return `[body of ${length} bytes]`;
  const reader = (message.clone().body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      return `[body of more than ${maxBytes} bytes]`;
    }
    text += decoder.decode(value, { stream: true });
  }
  text += decoder.decode();
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.stringify(redactBody(JSON.parse(text), names));
    } catch {
      // Malformed JSON cannot be redacted field by field: say what it was, not what it held.
      return `[malformed JSON body of ${size} bytes]`;
    }
  }
  return redactBody(text, names) as string;
}
