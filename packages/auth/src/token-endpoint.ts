import { AuthError, type Clock, ConfigError, type FetchFunction, type TokenSet } from '@ferrule/core';
import { function as fn, minLength, minValue, number, optional, picklist, pipe, string, url } from 'valibot';
import { toBase64, utf8 } from './encoding.ts';
import { importJwtKey, type JwtKey, jwtKeySchema, signJwt } from './jwt.ts';

/** How the client proves who it is at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientAuth = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

/** Where and how to ask for tokens: shared by {@link oauth2} and {@link finishAuthorization}. */
export interface TokenEndpointOptions {
  /** The token endpoint, e.g. `https://auth.example.com/oauth/token`. */
  tokenUrl: string;
  /** The client's id at the authorization server. */
  clientId: string;
  /** The client secret, for `client_secret_basic` and `client_secret_post`. */
  clientSecret?: string;
  /** @default 'client_secret_basic' with a `clientSecret`, `'private_key_jwt'` with a `privateKey`, else `'none'` */
  clientAuth?: ClientAuth;
  /** The key that signs the `private_key_jwt` client assertion. */
  privateKey?: JwtKey;
  /** @default 'RS256' */
  privateKeyAlgorithm?: 'RS256' | 'ES256';
  /** The `kid` of the client assertion's header, when the server needs it. */
  privateKeyId?: string;
  /** A token request that takes longer fails with an `AuthError`. @default 30_000 */
  tokenTimeoutMs?: number;
  /** The fetch that calls the token endpoint (not the middleware chain). @default globalThis.fetch */
  fetch?: FetchFunction;
}

/** The valibot entries of {@link TokenEndpointOptions}. */
export const tokenEndpointEntries = () => ({
  tokenUrl: pipe(string(), url('an absolute URL')),
  clientId: pipe(string(), minLength(1, 'a client id')),
  clientSecret: optional(string()),
  clientAuth: optional(picklist(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'])),
  privateKey: optional(jwtKeySchema()),
  privateKeyAlgorithm: optional(picklist(['RS256', 'ES256'])),
  privateKeyId: optional(string()),
  tokenTimeoutMs: optional(pipe(number(), minValue(1))),
  fetch: optional(fn()),
});

/** The endpoint options with the client authentication settled, checked for what it needs. */
export const resolveEndpoint = (options: TokenEndpointOptions, factory: string): TokenEndpointOptions => {
  const { clientSecret, privateKey } = options;
  const clientAuth =
    options.clientAuth ??
    (clientSecret !== undefined ? 'client_secret_basic' : privateKey ? 'private_key_jwt' : 'none');
  if (clientAuth.startsWith('client_secret') && clientSecret === undefined) {
    throw new ConfigError(`${factory}.clientSecret`, `a client secret for ${clientAuth}`);
  }
  if (clientAuth === 'private_key_jwt' && !privateKey) {
    throw new ConfigError(`${factory}.privateKey`, 'a private key for private_key_jwt');
  }
  return { ...options, clientAuth };
};

// RFC 6749 §2.3.1: the client id and secret are form-urlencoded before they are joined.
const form = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');

type Described = { method: string; url: string };

// RFC 6749 §2.3 and RFC 7523 §2.2: how the client proves who it is, in the headers or the body.
async function authenticate(
  endpoint: TokenEndpointOptions,
  body: URLSearchParams,
  headers: Record<string, string>,
  clock: Clock,
  request: Described,
) {
  const { clientId, clientSecret = '', clientAuth, privateKey } = endpoint;
  if (clientAuth === 'client_secret_basic') {
    headers.authorization = `Basic ${toBase64(utf8(`${form(clientId)}:${form(clientSecret)}`))}`;
    return;
  }
  body.set('client_id', clientId);
  if (clientAuth === 'client_secret_post') body.set('client_secret', clientSecret);
  if (clientAuth !== 'private_key_jwt' || !privateKey) return;
  const algorithm = endpoint.privateKeyAlgorithm ?? 'RS256';
  const nowSeconds = Math.floor(clock.now() / 1000);
  // RFC 7523 §3: the token endpoint is the audience; a fresh jti makes every assertion single-use.
  const claims = {
    iss: clientId,
    sub: clientId,
    aud: endpoint.tokenUrl,
    jti: crypto.randomUUID(),
    iat: nowSeconds,
    exp: nowSeconds + 60,
  };
  try {
    body.set(
      'client_assertion',
      await signJwt(algorithm, await importJwtKey(algorithm, privateKey), claims, endpoint.privateKeyId),
    );
  } catch (cause) {
    throw new AuthError('Could not sign the client assertion with the private key', {}, { request, cause });
  }
  body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
}

// Posts the form, with a timeout on the clock; no redirect, so a client secret never follows it elsewhere.
async function post(
  endpoint: TokenEndpointOptions,
  body: URLSearchParams,
  headers: Record<string, string>,
  clock: Clock,
  request: Described,
) {
  const { tokenTimeoutMs = 30_000 } = endpoint;
  const controller = new AbortController();
  clock.sleep(tokenTimeoutMs, controller.signal).then(
    () => controller.abort(),
    () => {},
  );
  try {
    const response = await (endpoint.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: controller.signal,
    });
    return { status: response.status, text: await response.text() };
  } catch (cause) {
    const message = controller.signal.aborted
      ? `Token request timed out after ${tokenTimeoutMs} ms`
      : 'Token request failed';
    throw new AuthError(message, {}, { request, cause });
  } finally {
    controller.abort();
  }
}

// RFC 6749 §5.1 and §5.2: the token set of a successful answer, or an AuthError with the OAuth error.
function parseTokens(status: number, text: string, clock: Clock, request: Described): TokenSet {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed) json = parsed as Record<string, unknown>;
  } catch {
    // Judged below: an error status first, then a body that is not JSON.
  }
  const field = (name: string) => (typeof json?.[name] === 'string' ? (json[name] as string) : undefined);
  const oauthError = field('error');
  const description = field('error_description');
  if (status < 200 || status > 299 || oauthError !== undefined) {
    throw new AuthError(
      `Token endpoint refused: ${oauthError ?? `HTTP ${status}`}`,
      { status, ...(oauthError && { oauthError }), ...(description && { oauthErrorDescription: description }) },
      { request },
    );
  }
  if (!json) throw new AuthError('Token endpoint answered with a body that is not JSON', { status }, { request });
  const accessToken = field('access_token');
  const tokenType = field('token_type') ?? 'Bearer';
  // The header this token goes into must be sendable as it is.
  if (!accessToken || !/^[\w!#$%&'*+.^`|~-]+ [\x21-\x7e]+$/.test(`${tokenType} ${accessToken}`)) {
    throw new AuthError('Token endpoint answered without a usable access_token', { status }, { request });
  }
  const refreshToken = field('refresh_token');
  const scope = field('scope');
  // A number, or a numeric string as some servers send it; anything else means: expiry unknown.
  const expiresIn = /^\d+(\.\d+)?$/.test(String(json.expires_in)) ? Number(json.expires_in) : undefined;
  return {
    accessToken,
    tokenType: /^bearer$/i.test(tokenType) ? 'Bearer' : tokenType,
    ...(expiresIn !== undefined && { expiresAtMs: clock.now() + expiresIn * 1000 }),
    ...(refreshToken && { refreshToken }),
    ...(scope && { scope }),
  };
}

/**
 * Calls the token endpoint with a grant's `params` and answers the token set. Every failure is an
 * `AuthError` with the OAuth `error` code and description (RFC 6749 §5.2) and the HTTP status —
 * never a secret, a token or the body.
 */
export async function requestToken(
  endpoint: TokenEndpointOptions,
  params: Record<string, string | undefined>,
  clock: Clock,
): Promise<TokenSet> {
  const request = { method: 'POST', url: endpoint.tokenUrl };
  const body = new URLSearchParams();
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) body.set(name, value);
  await authenticate(endpoint, body, headers, clock, request);
  const { status, text } = await post(endpoint, body, headers, clock, request);
  return parseTokens(status, text, clock, request);
}
