import { AuthError, type Clock, systemClock, type TokenSet, validateOptions } from '@ferrule/core';
import { function as fn, looseObject, minLength, optional, pipe, record, strictObject, string, url } from 'valibot';
import { randomText, toBase64Url, utf8 } from './encoding.ts';
import { requestToken, resolveEndpoint, type TokenEndpointOptions, tokenEndpointEntries } from './token-endpoint.ts';

/** Options of {@link startAuthorization}. */
export interface StartAuthorizationOptions {
  /** The authorization endpoint, e.g. `https://auth.example.com/authorize`. */
  authorizationUrl: string;
  /** The client's id at the authorization server. */
  clientId: string;
  /** Where the server sends the user back, e.g. a loopback URL of a CLI (RFC 8252 §7.3). */
  redirectUri: string;
  /** The scopes to ask for, space-separated (`offline_access` for a refresh token, on most servers). */
  scope?: string;
  /** More query parameters: `prompt`, `audience`, `resource`, … */
  params?: Record<string, string>;
}

/** What {@link startAuthorization} answers: send the user to `url`, keep the rest for the callback. */
export interface Authorization {
  /** Where to send the user: the authorization endpoint with every parameter. */
  url: string;
  /** The `state` to compare the callback's with (CSRF protection). */
  state: string;
  /** The PKCE code verifier (RFC 7636) to send with the code. */
  codeVerifier: string;
}

/** Options of {@link finishAuthorization}. */
export interface FinishAuthorizationOptions extends TokenEndpointOptions {
  /** The URL the server redirected the user to, with `code` and `state` in its query. */
  callbackUrl: string;
  /** The `redirectUri` given to {@link startAuthorization}. */
  redirectUri: string;
  /** The `state` {@link startAuthorization} answered. */
  state: string;
  /** The `codeVerifier` {@link startAuthorization} answered. */
  codeVerifier: string;
  /** The clock for the token's expiry. @default systemClock */
  clock?: Clock;
}

const absoluteUrl = () => pipe(string(), url('an absolute URL'));
const StartSchema = () =>
  strictObject({
    authorizationUrl: absoluteUrl(),
    clientId: pipe(string(), minLength(1)),
    redirectUri: absoluteUrl(),
    scope: optional(string()),
    params: optional(record(string(), string())),
  });
const FinishSchema = () =>
  strictObject({
    ...tokenEndpointEntries(),
    callbackUrl: absoluteUrl(),
    redirectUri: absoluteUrl(),
    state: string(),
    codeVerifier: pipe(string(), minLength(43)),
    clock: optional(looseObject({ now: fn() })),
  });

/**
 * Starts the authorization code flow with PKCE (RFC 7636, `S256`) for CLIs and scripts: answers the
 * URL to send the user to, with a fresh `state` and code verifier to keep for {@link finishAuthorization}.
 * @example
 * const { url, state, codeVerifier } = await startAuthorization({
 *   authorizationUrl: 'https://auth.example.com/authorize', clientId: 'cli', redirectUri: 'http://127.0.0.1:8765/callback', scope: 'openid offline_access',
 * });
 */
export async function startAuthorization(options: StartAuthorizationOptions): Promise<Authorization> {
  validateOptions(StartSchema(), options, 'startAuthorization');
  const codeVerifier = randomText(32);
  const state = randomText();
  const target = new URL(options.authorizationUrl);
  const query = {
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope: options.scope,
    state,
    code_challenge: toBase64Url(await crypto.subtle.digest('SHA-256', utf8(codeVerifier))),
    code_challenge_method: 'S256',
    ...options.params,
  };
  for (const [name, value] of Object.entries(query)) if (value !== undefined) target.searchParams.set(name, value);
  return { url: target.href, state, codeVerifier };
}

/**
 * Finishes the authorization code flow: checks the callback's `state`, surfaces an `error` the
 * server sent back as an `AuthError`, and exchanges the code (with the PKCE verifier) for tokens.
 * Hand the answer to `oauth2({ grant: 'refresh_token', tokens })`.
 * @example
 * const tokens = await finishAuthorization({ tokenUrl, clientId: 'cli', callbackUrl, redirectUri, state, codeVerifier });
 */
export async function finishAuthorization(options: FinishAuthorizationOptions): Promise<TokenSet> {
  validateOptions(FinishSchema(), options, 'finishAuthorization');
  const { callbackUrl, redirectUri, state, codeVerifier, clock = systemClock, ...endpoint } = options;
  const query = new URL(callbackUrl).searchParams;
  if (query.get('state') !== state)
    throw new AuthError('Authorization callback state does not match: the code was not exchanged');
  const error = query.get('error');
  const description = query.get('error_description');
  if (error) {
    throw new AuthError(`Authorization refused: ${error}`, {
      oauthError: error,
      ...(description && { oauthErrorDescription: description }),
    });
  }
  const code = query.get('code');
  if (!code) throw new AuthError('Authorization callback has no code');
  return requestToken(
    resolveEndpoint(endpoint, 'finishAuthorization'),
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier },
    clock,
  );
}
