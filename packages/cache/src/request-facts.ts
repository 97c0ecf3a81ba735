import { isSensitiveName, redactUrl } from '@ferrule/core';
import { type Directives, parseCacheControl } from './cache-control.ts';

/** What the cache needs to know about a GET or HEAD request, read in one pass over its headers. */
export interface RequestFacts {
  /** The URL responses are stored under: no fragment, the values of key-like query parameters redacted. */
  url: string;
  /** A one-way hash of the request's credentials; `''` when it carries none. */
  credential: string;
  /** Request Cache-Control (RFC 9111 §5.2.1), with `Pragma: no-cache` and the fetch `cache` mode folded in. */
  directives: Directives;
  /** The caller validates on its own: If-None-Match or If-Modified-Since. */
  conditional: boolean;
  /** Range or a precondition the cache does not evaluate: If-Match, If-Unmodified-Since, If-Range. */
  partial: boolean;
  /** fetch `cache: 'reload'`: the stored response is not used, the new one is stored. */
  reload: boolean;
}

const MEMO_LIMIT = 512;
const encoder = new TextEncoder();

const withoutFragment = (url: string) => {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
};

/** The URL a response is stored under: without its fragment, key-like query values redacted. */
export function keyUrl(url: string): string {
  const plain = withoutFragment(url);
  return plain.includes('?') ? redactUrl(plain) : plain;
}

/**
 * Reads requests for the cache. Holds the instance's memos: which header names carry credentials
 * (`Authorization`, `Cookie`, `X-Api-Key`, anything core's `isSensitiveName` flags) and the hash of
 * each credential seen lately, so a hit costs no Web Crypto call.
 */
export function requestReader() {
  const sensitive = new Map<string, boolean>();
  const hashes = new Map<string, Promise<string>>();
  const keyUrls = new Map<string, string>();

  // Redacting a URL with a query costs a parse of its pairs: a client calls the same URLs again and again.
  const storedUrl = (plain: string): string => {
    let url = keyUrls.get(plain);
    if (url === undefined) {
      if (keyUrls.size >= MEMO_LIMIT) keyUrls.clear();
      url = keyUrl(plain);
      keyUrls.set(plain, url);
    }
    return url;
  };

  const isCredential = (name: string): boolean => {
    let known = sensitive.get(name);
    if (known === undefined) {
      if (sensitive.size >= MEMO_LIMIT) sensitive.clear();
      known = isSensitiveName(name);
      sensitive.set(name, known);
    }
    return known;
  };

  const hash = (material: string): Promise<string> => {
    let digest = hashes.get(material);
    if (!digest) {
      if (hashes.size >= MEMO_LIMIT) hashes.clear();
      digest = crypto.subtle
        .digest('SHA-256', encoder.encode(material))
        .then((buffer) =>
          Array.from(new Uint8Array(buffer, 0, 16), (byte) => byte.toString(16).padStart(2, '0')).join(''),
        );
      hashes.set(material, digest);
    }
    return digest;
  };

  async function read(request: Request): Promise<RequestFacts> {
    let material = '';
    let cacheControl: string | null = null;
    let pragma = '';
    let conditional = false;
    let partial = false;
    request.headers.forEach((value, name) => {
      if (name === 'cache-control') cacheControl = value;
      else if (name === 'pragma') pragma = value;
      else if (name === 'if-none-match' || name === 'if-modified-since') conditional = true;
      else if (name === 'range' || name === 'if-match' || name === 'if-unmodified-since' || name === 'if-range') {
        partial = true;
      } else if (isCredential(name)) material += `${name}:${value}\n`;
    });
    const plain = withoutFragment(request.url);
    const url = storedUrl(plain);
    // A key-like query parameter is a credential too: its value stays out of the key, its hash goes in.
    if (url !== plain) material += plain;
    const directives = parseCacheControl(cacheControl);
    // RFC 9111 §5.4: Pragma: no-cache counts only when Cache-Control is absent.
    if (cacheControl === null && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(pragma)) directives.set('no-cache', true);
    const mode = request.cache;
    // The fetch cache modes (Fetch §2.2.5), as the request directives that mean the same.
    if (mode === 'no-store' || mode === 'no-cache') directives.set(mode, true);
    if (mode === 'force-cache' || mode === 'only-if-cached') directives.set('max-stale', true);
    if (mode === 'only-if-cached') directives.set(mode, true);
    return {
      url,
      credential: material ? await hash(material) : '',
      directives,
      conditional,
      partial,
      reload: mode === 'reload',
    };
  }

  /** All the request's header fields but credentials: concurrent requests that agree on them are identical. */
  const fingerprint = (request: Request): string => {
    let text = `${request.method} `;
    request.headers.forEach((value, name) => {
      if (!isCredential(name)) text += `${name}:${value}\n`;
    });
    return text;
  };

  return { read, isCredential, fingerprint };
}

const TOKEN = /^[!#$%&'*+.^_`|~\w-]+$/;

/**
 * The field names a response varies on (RFC 9111 §4.1), in lower case; `undefined` when it can never
 * be matched (`Vary: *`, or a name that is no field name) and so must not be stored.
 */
export function varyNames(headers: Pick<Headers, 'get'>): string[] | undefined {
  const names = new Set<string>();
  for (const part of (headers.get('vary') ?? '').split(',')) {
    const name = part.trim().toLowerCase();
    if (!name) continue;
    if (!TOKEN.test(name) || name === '*') return undefined;
    names.add(name);
  }
  return [...names];
}

/**
 * The part of a variant's key that the request's selecting header fields make (RFC 9111 §4.1):
 * whitespace around list commas normalised, an absent field told apart from an empty one. A credential
 * field is keyed by the credential hash instead, so its value never appears in a key.
 */
export function varyKey(names: readonly string[], request: Request, isCredential: (name: string) => boolean): string {
  if (names.length === 0) return '';
  return JSON.stringify(
    names.map((name) => {
      const value = request.headers.get(name);
      if (value === null || isCredential(name)) return value === null ? null : true;
      return value
        .split(',')
        .map((item) => item.trim())
        .join(',');
    }),
  );
}
