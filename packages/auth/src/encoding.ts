// Byte helpers on Web APIs only (TextEncoder, btoa/atob, crypto.subtle), so the package runs in
// browsers and edge workers as well as Node.

const encoder = /* @__PURE__ */ new TextEncoder();

/** UTF-8 bytes of `text`. */
export const utf8 = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text);

/** Lower-case hex of `bytes`. */
export const toHex = (bytes: ArrayBuffer): string => {
  let hex = '';
  for (const byte of new Uint8Array(bytes)) hex += (byte < 16 ? '0' : '') + byte.toString(16);
  return hex;
};

/** Standard base64 of `bytes` (RFC 4648 §4). */
export const toBase64 = (bytes: ArrayBuffer | Uint8Array): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)));

/** Unpadded base64url of `bytes` (RFC 4648 §5), as JWS and PKCE use it. */
export const toBase64Url = (bytes: ArrayBuffer | Uint8Array): string =>
  toBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

/** Bytes of base64 or base64url text; throws on anything else. */
export const fromBase64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0));

/** `count` random bytes as base64url: nonces, PKCE verifiers, `state`. */
export const randomText = (count = 16): string => toBase64Url(crypto.getRandomValues(new Uint8Array(count)));

/** An HMAC key for Web Crypto; `hash` is `'SHA-256'`, `'SHA-384'` or `'SHA-512'`. */
export const hmacKey = (
  secret: string | BufferSource,
  hash = 'SHA-256',
  usage: KeyUsage = 'sign',
): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', typeof secret === 'string' ? utf8(secret) : secret, { name: 'HMAC', hash }, false, [
    usage,
  ]);

/** The HMAC of `data` (text as UTF-8) under `key`. */
export const hmacSign = async (key: CryptoKey | BufferSource, data: string | BufferSource): Promise<ArrayBuffer> =>
  crypto.subtle.sign(
    'HMAC',
    key instanceof CryptoKey ? key : await hmacKey(key),
    typeof data === 'string' ? utf8(data) : data,
  );
