import { ParseError } from '@ferrule/core';

/**
 * What ky hands a `parseJson` function besides the text.
 * @example
 * const parse: JsonParser = (text, { response }) => (response.status === 204 ? undefined : JSON.parse(text));
 */
export interface ParseJsonContext {
  request: Request;
  response: Response;
}

/** A ky `parseJson` function (see {@link ParseJsonContext} for an example). */
export type JsonParser = (text: string, context: ParseJsonContext) => unknown;

// `application/json`, `text/json`, any RFC 6839 §3.1 `+json` suffix (`application/problem+json`) and
// the legacy `x-json`. Tested on the media type without its parameters.
const JSON_MEDIA_TYPE = /^[\w!#$&^.+-]+\/(?:[\w!#$&^.+-]*[+.-])?json$/;

/** The media type of a `Content-Type` value, without parameters, in lower case (`text/html`). */
const essence = (contentType: string) => (contentType.split(';', 1)[0] as string).trim().toLowerCase();

/**
 * Whether a `Content-Type` names JSON: `application/json`, any `+json` type, `text/json`.
 * @example
 * isJsonContentType('application/problem+json; charset=utf-8'); // true
 * isJsonContentType('text/html'); // false
 */
export const isJsonContentType = (contentType: string): boolean => JSON_MEDIA_TYPE.test(essence(contentType));

/**
 * Makes a ky `parseJson` that turns every way a body can fail to be the JSON that was asked for into a
 * {@link ParseError} with the status, the content type and the method and redacted URL, never the body:
 * malformed JSON, a body declared as something else (an HTML error page from a proxy), or no body at
 * all. An empty 204, 205 or 304 response, or the answer to a HEAD, parses to `undefined`. A body
 * without a `Content-Type` is parsed leniently. `parse` does the parsing itself (ky's `parseJson`
 * signature), e.g. a parser that guards against prototype pollution. @default JSON.parse
 * @example
 * const api = ky.create({ parseJson: createParseJson() });
 */
export function createParseJson(parse: JsonParser = (text) => JSON.parse(text)): JsonParser {
  return function parseJson(text, { request, response }) {
    const { status } = response;
    const contentType = response.headers.get('content-type') || undefined;
    const fail = (message: string) => new ParseError(message, status, contentType, { request });
    if (text === '') {
      // RFC 9110 §15.3.5, §15.3.6, §15.4.5 and §9.3.2: these never have content.
      if (status === 204 || status === 205 || status === 304 || request.method === 'HEAD') return undefined;
      throw fail(`No JSON body in the ${status} response`);
    }
    if (contentType !== undefined && !isJsonContentType(contentType)) {
      throw fail(`Expected JSON, got ${essence(contentType)} in the ${status} response`);
    }
    try {
      return parse(text, { request, response });
    } catch {
      // The parser's message quotes the body, which may hold a secret: it stays out, and so does the cause.
      throw fail(`Malformed JSON in the ${status} response (${text.length} chars)`);
    }
  };
}

/**
 * The ky `parseJson` of every `createClient`, for a ky instance of your own: malformed JSON, a non-JSON
 * content type or a missing body throw a {@link ParseError} with status and content type.
 * @example
 * import ky from 'ky';
 * const api = ky.create({ parseJson });
 * await api.get('https://api.example.com/items').json(); // ParseError on an HTML error page
 */
export const parseJson: JsonParser = /* @__PURE__ */ createParseJson();
