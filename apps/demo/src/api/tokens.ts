import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@ferrule/core';
import type { RecordedRequest, ResponseSpec, RouteHandler } from '@ferrule/testing';

/** Options of {@link tokenIssuer}. */
export interface TokenIssuerOptions {
  clientId: string;
  clientSecret: string;
  /** How long an access token lives. */
  ttlSeconds: number;
  clock: Clock;
}

/** The OAuth 2.0 side of the embedded API: a token endpoint and the check of every API call. */
export interface TokenIssuer {
  /** `POST /oauth/token`: the client credentials grant (RFC 6749 §4.4) with `client_secret_basic`. */
  endpoint: RouteHandler;
  /** `undefined` when the request carries a live access token, else the 401 to answer (RFC 6750 §3). */
  authenticate(request: RecordedRequest): ResponseSpec | undefined;
  /** Revokes every token issued so far, as a key rotation would. */
  revokeAll(): void;
  readonly stats: { issued: number; rejected: number; invalidClient: number };
}

const REALM = 'catalogue';

// Compares in constant time whatever the lengths, by comparing digests.
const sameSecret = (given: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

// RFC 6749 §2.3.1: the id and the secret are form-urlencoded, then joined with a colon.
const formDecode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));

function basicCredentials(header: string | undefined): [string, string] | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
  } catch {
    return undefined;
  }
}

const oauthError = (status: number, error: string, headers: Record<string, string> = {}): ResponseSpec => ({
  status,
  headers: { 'cache-control': 'no-store', ...headers },
  json: { error },
});

/**
 * Issues short-lived bearer tokens to one client and checks them on every API call: an unknown,
 * revoked or expired token gets `401` with `WWW-Authenticate: Bearer error="invalid_token"`, which
 * tells the client to fetch a new one and replay.
 * @example
 * const tokens = tokenIssuer({ clientId: 'demo', clientSecret, ttlSeconds: 3, clock: systemClock });
 * const server = await createTestServer({ 'POST /oauth/token': tokens.endpoint });
 */
export function tokenIssuer({ clientId, clientSecret, ttlSeconds, clock }: TokenIssuerOptions): TokenIssuer {
  const live = new Map<string, number>();
  const stats = { issued: 0, rejected: 0, invalidClient: 0 };

  const endpoint: RouteHandler = (request) => {
    const credentials = basicCredentials(request.headers.authorization);
    if (!credentials || !sameSecret(credentials[0], clientId) || !sameSecret(credentials[1], clientSecret)) {
      stats.invalidClient++;
      return oauthError(401, 'invalid_client', { 'www-authenticate': `Basic realm="${REALM}"` });
    }
    if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request');
    }
    const form = new URLSearchParams(request.text());
    if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type');
    const nowMs = clock.now();
    for (const [token, expiresAtMs] of live) if (expiresAtMs <= nowMs) live.delete(token);
    const token = randomBytes(24).toString('base64url');
    live.set(token, nowMs + ttlSeconds * 1000);
    stats.issued++;
    return {
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      json: { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds },
    };
  };

  const authenticate = (request: RecordedRequest): ResponseSpec | undefined => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token !== undefined) {
      const expiresAtMs = live.get(token);
      if (expiresAtMs !== undefined && clock.now() < expiresAtMs) return undefined;
    }
    stats.rejected++;
    // RFC 6750 §3.1: no error code when the request carried no token at all.
    const challenge =
      token === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
    return { status: 401, headers: { 'www-authenticate': challenge }, json: { error: 'unauthorized' } };
  };

  return { endpoint, authenticate, revokeAll: () => live.clear(), stats };
}
