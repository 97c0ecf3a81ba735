import {
  AuthError,
  type Context,
  type Middleware,
  memoryStore,
  type TokenSet,
  type TokenStore,
  validateOptions,
} from '@ferrule/core';
import {
  function as fn,
  looseObject,
  minLength,
  minValue,
  number,
  optional,
  picklist,
  pipe,
  strictObject,
  string,
} from 'valibot';
import { type CredentialOptions, credentialEntries, credentialed, whenReady } from './credentialed.ts';
import { requestToken, resolveEndpoint, type TokenEndpointOptions, tokenEndpointEntries } from './token-endpoint.ts';
import { createLease, type Lease, refreshAt } from './token-lease.ts';

/** Options of {@link oauth2}. */
export interface OAuth2Options extends TokenEndpointOptions, CredentialOptions {
  /**
   * `'client_credentials'` asks for a token as the client itself (RFC 6749 §4.4); `'refresh_token'`
   * renews a user's token with its refresh token (§6), replacing a rotated refresh token at once.
   * @default 'client_credentials'
   */
  grant?: 'client_credentials' | 'refresh_token';
  /** The scopes to ask for, space-separated. */
  scope?: string;
  /** The `audience` parameter some servers (Auth0, Okta) require. */
  audience?: string;
  /** The refresh token to start from (`grant: 'refresh_token'`), when the store holds none yet. */
  refreshToken?: string;
  /** A token set to start from, e.g. from {@link finishAuthorization}, when the store holds none yet. */
  tokens?: TokenSet;
  /** Where tokens are kept; share one (Redis) between processes. @default memoryStore() */
  store?: TokenStore;
  /** The key of this client's tokens in the store. @default `oauth2:${tokenUrl}:${clientId}:${scope}` */
  storeKey?: string;
  /** A token is refreshed this long before it expires (at most at half its life). @default 30_000 */
  refreshSkewMs?: number;
}

const OAuth2Schema = () =>
  strictObject({
    ...tokenEndpointEntries(),
    grant: optional(picklist(['client_credentials', 'refresh_token'])),
    scope: optional(string()),
    audience: optional(string()),
    refreshToken: optional(pipe(string(), minLength(1))),
    tokens: optional(looseObject({ accessToken: string(), tokenType: string() })),
    store: optional(looseObject({ get: fn(), set: fn(), delete: fn() })),
    storeKey: optional(string()),
    refreshSkewMs: optional(pipe(number(), minValue(0))),
    ...credentialEntries(),
  });

// RFC 6750 §3.1: a 401 whose challenge names no error, or `invalid_token`, means the token is stale;
// another error (a malformed request) would only fail again.
const isStaleToken = (response: Response) => {
  const challenge = response.headers.get('www-authenticate') ?? '';
  return response.status === 401 && (!/\berror=/i.test(challenge) || /\berror="?invalid_token\b/i.test(challenge));
};

/**
 * OAuth 2.0 for API clients: gets a token with the client credentials or refresh token grant,
 * caches it, refreshes it `refreshSkewMs` before it expires, and on a 401 with `invalid_token`
 * refreshes it and replays the request exactly once. However many calls need a new token at the
 * same time, one token request is made; if it fails, every one of them fails with the same
 * `AuthError`. Tokens never appear in an error, an event or a log line.
 * @example
 * const fetch = createFetch({
 *   use: [oauth2({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'reports', clientSecret: secret, scope: 'reports:read' })],
 * });
 */
export const oauth2 = (options: OAuth2Options): Middleware => {
  validateOptions(OAuth2Schema(), options, 'oauth2');
  const {
    grant = 'client_credentials',
    scope,
    audience,
    refreshToken,
    tokens,
    store = memoryStore<TokenSet>(),
    storeKey,
    refreshSkewMs = 30_000,
    match,
    allowedOrigins,
    maxRedirects,
    ...endpointOptions
  } = options;
  const endpoint = resolveEndpoint(endpointOptions, 'oauth2');
  const key = storeKey ?? `oauth2:${endpoint.tokenUrl}:${endpoint.clientId}:${scope ?? ''}`;
  const scheme = 'oauth2';
  let latest =
    tokens ?? (refreshToken ? { accessToken: '', tokenType: 'Bearer', expiresAtMs: 0, refreshToken } : undefined);

  // A failing store must not fail the call: the tokens stay in memory, and observers hear of it.
  const guarded = async <Value>(operation: () => Promise<Value>, context: Context) => {
    try {
      return await operation();
    } catch (error) {
      context.emit({ type: 'store', store: 'token', action: 'error', reason: (error as Error)?.name ?? 'Error' });
    }
  };
  const leaseOf = ({ tokenType, accessToken, expiresAtMs }: TokenSet, nowMs: number): Lease => ({
    header: `${tokenType} ${accessToken}`,
    refreshAtMs: refreshAt(expiresAtMs, nowMs, refreshSkewMs),
  });

  const lease = createLease(async (context, rejected) => {
    const { clock } = context;
    const known = (await guarded(() => store.get(key), context)) ?? latest;
    if (
      known?.accessToken &&
      `${known.tokenType} ${known.accessToken}` !== rejected &&
      clock.now() < (known.expiresAtMs ?? Infinity) - refreshSkewMs
    ) {
      return leaseOf(known, clock.now());
    }
    const renewing = grant === 'refresh_token';
    if (renewing && !known?.refreshToken) throw new AuthError('oauth2: no refresh token to refresh with');
    let fresh: TokenSet;
    try {
      fresh = await requestToken(
        endpoint,
        renewing
          ? { grant_type: 'refresh_token', refresh_token: known?.refreshToken, scope }
          : { grant_type: 'client_credentials', scope, audience },
        clock,
      );
    } catch (error) {
      const { oauthError, status } = error as AuthError;
      context.emit({
        type: 'auth',
        scheme,
        action: 'token-failed',
        reason: oauthError ?? (status ? `status ${status}` : 'network'),
      });
      throw error;
    }
    // RFC 6749 §6: without a new refresh token, the old one stays valid. A rotated one replaces it
    // in the store before any caller goes on, so the old one is never sent again.
    const kept = fresh.refreshToken ?? known?.refreshToken;
    latest = kept ? { ...fresh, refreshToken: kept } : fresh;
    const nowMs = clock.now();
    const ttlMs = kept || latest.expiresAtMs === undefined ? undefined : latest.expiresAtMs - nowMs;
    await guarded(() => store.set(key, latest as TokenSet, ttlMs === undefined ? undefined : { ttlMs }), context);
    context.emit({ type: 'auth', scheme, action: known?.accessToken ? 'token-refreshed' : 'token-fetched' });
    return leaseOf(latest, nowMs);
  });

  return credentialed(
    {
      name: scheme,
      sign: (request, _body, context) =>
        whenReady(lease.get(context), ({ header }) => request.headers.set('authorization', header)),
      replay(response, sent) {
        if (!isStaleToken(response)) return false;
        lease.reject(sent.headers.get('authorization'));
        return true;
      },
    },
    { match, allowedOrigins, maxRedirects },
  );
};
