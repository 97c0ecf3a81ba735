import { hmacKey, hmacSign, toHex, utf8 } from './encoding.ts';

/** AWS credentials: long-term, or temporary with a session token from STS. */
export interface AwsCredentials {
  /** e.g. `AKIA…`, or `ASIA…` for temporary credentials. */
  accessKeyId: string;
  secretAccessKey: string;
  /** The session token of temporary credentials (STS), sent as `X-Amz-Security-Token`. */
  sessionToken?: string | undefined;
}

/** Everything a Signature Version 4 signature covers. */
export interface AwsSigningInput extends AwsCredentials {
  method: string;
  /** The path as it goes on the wire (`URL.pathname`). */
  path: string;
  /** The query as it goes on the wire, without `?`. */
  query: string;
  /** The headers to sign, `host` and `x-amz-date` included; repeated names are joined with `,`. */
  headers: readonly (readonly [string, string])[];
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  /** `YYYYMMDD'T'HHMMSS'Z'` */
  amzDate: string;
  region: string;
  service: string;
}

/** The steps of a signature, for tests and debugging: AWS's suite compares each of them. */
export interface AwsSignature {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  credentialScope: string;
  signature: string;
  authorization: string;
}

/** Hex SHA-256 of an empty body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `YYYYMMDD'T'HHMMSS'Z'` of an epoch-ms time. */
export const amzDate = (timeMs: number): string => new Date(timeMs).toISOString().replace(/[:-]|\.\d+/g, '');

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 wants it. */
export const uriEncode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

// S3 signs the path as it is, encoded once; every other service normalizes it (RFC 3986 §5.2.4,
// empty segments dropped) and encodes each segment of the wire path again.
const canonicalPath = (path: string, s3: boolean) => {
  if (s3)
    return path
      .split('/')
      .map((segment) => uriEncode(decode(segment)))
      .join('/');
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '..') segments.pop();
    else if (segment && segment !== '.') segments.push(uriEncode(segment));
  }
  return `/${segments.join('/')}${segments.length && path.endsWith('/') ? '/' : ''}`;
};

// Names and values decoded and encoded once, sorted by name, then value, in code-point order: joined
// by NUL, the lowest code point, a plain string sort does exactly that.
const canonicalQuery = (query: string) =>
  query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const index = pair.indexOf('=');
      const [name, value] = index < 0 ? [pair, ''] : [pair.slice(0, index), pair.slice(index + 1)];
      return `${uriEncode(decode(name))}\0${uriEncode(decode(value))}`;
    })
    .sort()
    .join('&')
    .replace(/\0/g, '=');

/**
 * A Signature Version 4 signer. It remembers the last derived signing key, so a day's requests
 * cost one hash and one HMAC each.
 */
export function createAwsSigner(): (input: AwsSigningInput) => Promise<AwsSignature> {
  let cachedScope = '';
  let cachedKey: Promise<CryptoKey> | undefined;
  return async function signAws(input) {
    const { region, service, accessKeyId, secretAccessKey } = input;
    const values = new Map<string, string[]>();
    for (const [name, value] of input.headers) {
      const lower = name.toLowerCase();
      values.set(lower, [...(values.get(lower) ?? []), value.trim().replace(/\s+/g, ' ')]);
    }
    const names = [...values.keys()].sort();
    const signedHeaders = names.join(';');
    const canonicalRequest = [
      input.method,
      canonicalPath(input.path, service === 's3'),
      canonicalQuery(input.query),
      names.map((name) => `${name}:${values.get(name)?.join(',')}\n`).join(''),
      signedHeaders,
      input.payloadHash,
    ].join('\n');
    const credentialScope = `${input.amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${input.amzDate}\n${credentialScope}\n${toHex(
      await crypto.subtle.digest('SHA-256', utf8(canonicalRequest)),
    )}`;
    const scopeKey = `${secretAccessKey}\n${credentialScope}`;
    if (scopeKey !== cachedScope || !cachedKey) {
      cachedScope = scopeKey;
      // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
      cachedKey = (async () => {
        let key: ArrayBuffer = utf8(`AWS4${secretAccessKey}`).buffer;
        for (const part of credentialScope.split('/')) key = await hmacSign(key, part);
        return hmacKey(key);
      })();
    }
    const signature = toHex(await hmacSign(await cachedKey, stringToSign));
    return {
      canonicalRequest,
      stringToSign,
      signedHeaders,
      credentialScope,
      signature,
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  };
}
