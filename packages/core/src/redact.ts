/** What every redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

// A name is sensitive when one of its words (split on - _ . and camelCase) is one of these.
// `author` or `keyword` are not: the word must stand alone.
const SENSITIVE_WORD =
  /(?:^|[-_.\s])(?:api_?key|apikey|key|token|secret|passw(?:or)?d|pwd|passphrase|signature|sig|auth|authorization|credentials?|session(?:_?id)?|cookie|jwt|assertion|verifier|otp)(?=$|[-_.\s\d])/i;

/**
 * Whether a header, query parameter or body field name looks like it holds a secret:
 * `Authorization`, `X-API-Key`, `api_key`, `accessToken`, `client_secret`, `X-Amz-Signature`, …
 * `extra` adds names of your own (compared case-insensitively).
 * @example
 * isSensitiveName('X-Api-Key'); // true
 * isSensitiveName('author');    // false
 */
export function isSensitiveName(name: string, extra?: readonly string[]): boolean {
  if (extra?.some((candidate) => candidate.toLowerCase() === name.toLowerCase())) return true;
  return SENSITIVE_WORD.test(name.replace(/([a-z\d])([A-Z])/g, '$1_$2'));
}

const USER_INFO = /^([a-z][a-z\d+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i;

const redactPairs = (pairs: string, extra?: readonly string[]) =>
  pairs
    .split('&')
    .map((pair) => {
      const index = pair.indexOf('=');
      const rawName = index < 0 ? pair : pair.slice(0, index);
      let name = rawName;
      if (/[%+]/.test(rawName)) {
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
        } catch {
          // A malformed escape: judge the raw name.
        }
      }
      return index >= 0 && isSensitiveName(name, extra) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');

/**
 * A URL that is safe to log: the values of key-like query parameters and any password in the
 * user-info part are replaced by `[REDACTED]`; everything else is left exactly as it was.
 * @example
 * redactUrl('https://api.example.com/v1?api_key=s3cr3t&page=2');
 * // 'https://api.example.com/v1?api_key=[REDACTED]&page=2'
 */
export function redactUrl(url: string | URL, extra?: readonly string[]): string {
  let text = String(url);
  const queryIndex = text.indexOf('?');
  // The common case, a URL with neither query nor user-info, costs two index scans.
  if (queryIndex < 0 && text.indexOf('@') < 0) return text;
  const hashIndex = text.indexOf('#');
  const hash = hashIndex >= 0 ? text.slice(hashIndex) : '';
  if (hashIndex >= 0) text = text.slice(0, hashIndex);
  if (USER_INFO.test(text)) text = text.replace(USER_INFO, `$1:${REDACTED}@`);
  const start = text.indexOf('?');
  if (start < 0) return text + hash;
  return `${text.slice(0, start + 1)}${redactPairs(text.slice(start + 1), extra)}${hash}`;
}

/**
 * Headers as a plain object that is safe to log: values of sensitive headers (`Authorization`,
 * `Cookie`, `Set-Cookie`, `X-API-Key`, anything key-, token-, secret- or signature-like, plus
 * `extra`) are replaced. The auth scheme of an `Authorization` value is kept: `Bearer [REDACTED]`.
 * @example
 * redactHeaders(new Headers({ authorization: 'Bearer abc' })); // { authorization: 'Bearer [REDACTED]' }
 */
export function redactHeaders(
  headers: Headers | Record<string, string> | [string, string][],
  extra?: readonly string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of headers instanceof Headers || Array.isArray(headers)
    ? headers
    : Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!isSensitiveName(lower, extra)) result[lower] = value;
    else {
      const scheme = /authorization$/.test(lower) && /^([\w-]+) \S/.exec(value);
      result[lower] = scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
    }
  }
  return result;
}

/**
 * A body that is safe to log: sensitive fields of objects (deeply), of JSON text and of
 * `application/x-www-form-urlencoded` text are replaced. Other text is returned unchanged.
 * @example
 * redactBody({ user: 'ada', password: 'x' }); // { user: 'ada', password: '[REDACTED]' }
 */
export function redactBody(body: unknown, extra?: readonly string[]): unknown {
  if (typeof body === 'string') {
    const trimmed = body.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return JSON.stringify(redactBody(JSON.parse(trimmed), extra));
      } catch {
        return body;
      }
    }
    return /^[^\s={}]+=[^\s]*$/.test(trimmed) ? redactPairs(trimmed, extra) : body;
  }
  if (Array.isArray(body)) return body.map((item) => redactBody(item, extra));
  if (body && typeof body === 'object' && Object.getPrototypeOf(body) === Object.prototype) {
    const result: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) {
      result[name] = isSensitiveName(name, extra) ? REDACTED : redactBody(value, extra);
    }
    return result;
  }
  return body;
}
