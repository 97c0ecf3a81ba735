import { AuthError, ConfigError, type Middleware, validateOptions } from '@ferrule/core';
import {
  array,
  boolean,
  function as fn,
  instance,
  integer,
  literal,
  minLength,
  minValue,
  number,
  optional,
  picklist,
  pipe,
  regex,
  strictObject,
  string,
  union,
} from 'valibot';
import { contentDigest, type DigestAlgorithm } from './content-digest.ts';
import { type CredentialOptions, credentialEntries, credentialed, headerName, isHeaderSafe } from './credentialed.ts';
import { hmacKey, randomText, toBase64, toHex, utf8 } from './encoding.ts';

/** What a custom canonical-string profile may sign. */
export interface HmacSigningInput {
  /** The request method, e.g. `'POST'`. */
  method: string;
  /** The request URL, parsed. */
  url: URL;
  /** The request's headers (already with any `Content-Digest` of the standard profile). */
  headers: Headers;
  /** The body as UTF-8 text, `''` without one. */
  body: string;
  /** Seconds since the epoch, fresh for every attempt. */
  timestamp: number;
  /** A fresh random value for every attempt (22 base64url characters). */
  nonce: string;
  /** The `keyId` option. */
  keyId: string | undefined;
}

/** Options of {@link hmac}. */
export interface HmacOptions extends CredentialOptions {
  /** The shared secret: text (UTF-8) or bytes. */
  secret: string | Uint8Array<ArrayBuffer>;
  /** @default 'hmac-sha256' */
  algorithm?: 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';
  /** The `keyid` of an RFC 9421 signature (required for that profile), or the custom profile's `keyId`. */
  keyId?: string;
  /**
   * RFC 9421: the covered components, in order — derived ones (`@method`, `@target-uri`, `@authority`,
   * `@scheme`, `@request-target`, `@path`, `@query`) and header names in lower case.
   * @default ['@method', '@target-uri'], plus 'content-digest' when the request has a body
   */
  components?: readonly string[];
  /** RFC 9421: the label of the signature in `Signature-Input` and `Signature`. @default 'sig1' */
  label?: string;
  /** RFC 9421: the `tag` parameter naming the application profile. */
  tag?: string;
  /** RFC 9421: adds a fresh `nonce` parameter to each signature. @default true */
  nonce?: boolean;
  /** RFC 9421: adds an `expires` parameter this many seconds after `created`. */
  expiresInSeconds?: number;
  /** RFC 9421: adds the `alg` parameter. @default false (the key determines the algorithm, §3.3.7) */
  includeAlgorithm?: boolean;
  /** RFC 9530: the `Content-Digest` sent (and signed) with a body, or `false` for none. @default 'sha-256' */
  contentDigest?: DigestAlgorithm | false;
  /**
   * A custom profile instead of RFC 9421: builds the string to sign. The signature goes into
   * `signatureHeader`; `headers` adds the timestamp, nonce or key id where the API wants them.
   */
  canonical?: (input: HmacSigningInput) => string | Promise<string>;
  /** Custom profile: the header that carries the signature. @default 'x-signature' */
  signatureHeader?: string;
  /** Custom profile: how the signature is written. @default 'hex' */
  encoding?: 'hex' | 'base64';
  /** Custom profile: more headers to send, e.g. `({ timestamp }) => ({ 'x-timestamp': String(timestamp) })`. */
  headers?: (input: HmacSigningInput & { signature: string }) => Record<string, string>;
}

// RFC 8941 §3.3.3: what an sf-string may hold unescaped.
const sfString = () =>
  optional(pipe(string(), regex(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/, 'printable ASCII without " or \\')));
const HmacSchema = () =>
  strictObject({
    secret: union([pipe(string(), minLength(1)), instance(Uint8Array)], 'a non-empty string or bytes'),
    algorithm: optional(picklist(['hmac-sha256', 'hmac-sha384', 'hmac-sha512'])),
    keyId: sfString(),
    components: optional(
      array(
        pipe(
          string(),
          regex(
            /^(@(method|target-uri|authority|scheme|request-target|path|query)|[a-z\d!#$%&'*+.^_`|~-]+)$/,
            'a derived component or a header name in lower case',
          ),
        ),
      ),
    ),
    label: optional(pipe(string(), regex(/^[a-z*][a-z\d_.*-]*$/, 'an sf-key such as sig1'))),
    tag: sfString(),
    nonce: optional(boolean()),
    expiresInSeconds: optional(pipe(number(), integer(), minValue(1))),
    includeAlgorithm: optional(boolean()),
    contentDigest: optional(union([picklist(['sha-256', 'sha-512']), literal(false)], '"sha-256", "sha-512" or false')),
    canonical: optional(fn()),
    signatureHeader: optional(headerName()),
    encoding: optional(picklist(['hex', 'base64'])),
    headers: optional(fn()),
    ...credentialEntries(),
  });

// RFC 9421 §2.2: derived components of a request.
type Derive = (request: Request, url: URL) => string;
const DERIVED: Record<string, Derive> = {
  '@method': (request) => request.method,
  '@target-uri': (request) => request.url,
  '@authority': (_, url) => url.host,
  '@scheme': (_, url) => url.protocol.slice(0, -1),
  '@request-target': (_, url) => url.pathname + url.search,
  '@path': (_, url) => url.pathname,
  '@query': (_, url) => url.search || '?',
};

const mac = async (key: Promise<CryptoKey>, text: string) => crypto.subtle.sign('HMAC', await key, utf8(text));

// RFC 9421 §2.5: one line per covered component, then the signature parameters.
function signatureBase(request: Request, url: URL, covered: readonly string[], params: string): string {
  let base = '';
  for (const name of covered) {
    const value = name[0] === '@' ? (DERIVED[name] as Derive)(request, url) : request.headers.get(name);
    if (value === null)
      throw new AuthError(`hmac: cannot sign "${name}": the request has no such header`, {}, { request });
    base += `"${name}": ${value}\n`;
  }
  return `${base}"@signature-params": ${params}`;
}

/**
 * Signs every attempt afresh with an HMAC (new timestamp and nonce each time). The standard profile
 * is RFC 9421 HTTP Message Signatures (`Signature-Input` / `Signature`, `hmac-sha256`) with an
 * RFC 9530 `Content-Digest` of the body; `canonical` switches to a custom profile for APIs that
 * define their own string to sign.
 * @example
 * const fetch = createFetch({ use: [hmac({ keyId: 'client-1', secret: process.env.SIGNING_SECRET ?? '' })] });
 */
export const hmac = (options: HmacOptions): Middleware => {
  validateOptions(HmacSchema(), options, 'hmac');
  const {
    secret,
    algorithm = 'hmac-sha256',
    keyId,
    components,
    label = 'sig1',
    tag,
    nonce = true,
    expiresInSeconds,
    includeAlgorithm,
    contentDigest: digest = 'sha-256',
    canonical,
    signatureHeader = 'x-signature',
    encoding = 'hex',
    headers: extraHeaders,
    ...credentialOptions
  } = options;
  if (!canonical && keyId === undefined) {
    throw new ConfigError('hmac.keyId', 'a key id for RFC 9421 signatures (or `canonical` for a custom profile)');
  }
  let key: Promise<CryptoKey> | undefined;

  // A custom profile: the API's own string to sign, its own headers.
  const signCustom = async (
    request: Request,
    input: HmacSigningInput,
    make: (input: HmacSigningInput) => string | Promise<string>,
  ) => {
    const signature = (encoding === 'hex' ? toHex : toBase64)(await mac(key as Promise<CryptoKey>, await make(input)));
    request.headers.set(signatureHeader, signature);
    for (const [name, value] of Object.entries(extraHeaders?.({ ...input, signature }) ?? {})) {
      // fetch would quote a value it cannot send in its TypeError: fail without it instead.
      if (!isHeaderSafe(value))
        throw new AuthError(`hmac: the "${name}" header has a value that cannot be sent`, {}, { request });
      request.headers.set(name, value);
    }
  };

  // RFC 9421, with an RFC 9530 digest of the body.
  const signMessage = async (request: Request, input: HmacSigningInput, body: ArrayBuffer | null) => {
    const digesting = body !== null && digest;
    if (digesting) request.headers.set('content-digest', await contentDigest(body, digest));
    const covered = components ?? ['@method', '@target-uri', ...(digesting ? ['content-digest'] : [])];
    // RFC 9421 §2.3: the parameters, in the order they are listed.
    let params = `(${covered.map((name) => `"${name}"`).join(' ')});created=${input.timestamp}`;
    if (expiresInSeconds) params += `;expires=${input.timestamp + expiresInSeconds}`;
    if (nonce) params += `;nonce="${input.nonce}"`;
    if (includeAlgorithm) params += `;alg="${algorithm}"`;
    params += `;keyid="${keyId}"`;
    if (tag !== undefined) params += `;tag="${tag}"`;
    const signature = await mac(key as Promise<CryptoKey>, signatureBase(request, input.url, covered, params));
    request.headers.set('signature-input', `${label}=${params}`);
    request.headers.set('signature', `${label}=:${toBase64(signature)}:`);
  };

  return credentialed(
    {
      name: 'hmac',
      async sign(request, body, context) {
        key ??= hmacKey(secret, `SHA-${algorithm.slice(-3)}`);
        const input: HmacSigningInput = {
          method: request.method,
          url: new URL(request.url),
          headers: request.headers,
          body: body ? new TextDecoder().decode(body) : '',
          timestamp: Math.floor(context.clock.now() / 1000),
          nonce: randomText(),
          keyId,
        };
        await (canonical ? signCustom(request, input, canonical) : signMessage(request, input, body));
        context.emit({ type: 'auth', scheme: 'hmac', action: 'signed' });
      },
    },
    credentialOptions,
  );
};
