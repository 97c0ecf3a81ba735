import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The clients the provider knows. Secrets are test values. */
export const CLIENTS = {
  basic: { clientId: 'reports-basic', clientSecret: 'reports-basic-secret' },
  post: { clientId: 'reports-post', clientSecret: 'reports-post-secret' },
  jwt: { clientId: 'reports-jwt' },
  cli: { clientId: 'cli', redirectUri: 'http://127.0.0.1:8765/callback' },
} as const;

/** The key the `private_key_jwt` client signs its assertions with (the provider holds its public half). */
export const clientKeyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export interface OidcServer {
  issuer: string;
  tokenUrl: string;
  authorizationUrl: string;
  provider: Provider;
  /** Every successful token grant, in order: grant type, client and the refresh token presented. */
  grants: { grantType: string; clientId: string | undefined; refreshToken: string | undefined }[];
  /** Whether an access token (any grant) is known to the provider and not expired. */
  isValid(accessToken: string): Promise<boolean>;
  /** Revokes an access token, as an admin or a logout would. */
  revoke(accessToken: string): Promise<void>;
  /** Plays the user's browser: follows the authorization URL through login and consent, answers the callback URL. */
  authorize(authorizationUrl: string): Promise<string>;
  close(): Promise<void>;
}

export interface OidcServerOptions {
  /** Lifetime of client credentials access tokens. @default 60 */
  clientCredentialsTtlSeconds?: number;
  /** Lifetime of access tokens from the authorization code and refresh token grants. @default 60 */
  accessTokenTtlSeconds?: number;
}

/**
 * A real OAuth 2.0 / OpenID Connect server (oidc-provider) on 127.0.0.1, port 0: client credentials
 * with client_secret_basic, client_secret_post and private_key_jwt, and the authorization code flow
 * with PKCE and rotating refresh tokens for a public CLI client. Login and consent are granted by a
 * tiny interaction handler, so a test can drive the browser leg over plain HTTP.
 */
export async function startOidcServer({
  clientCredentialsTtlSeconds = 60,
  accessTokenTtlSeconds = 60,
}: OidcServerOptions = {}): Promise<OidcServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The provider's own ID token key (RS256, its default), so it prints no development-key warning.
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const service = { grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'reports:read' };
  const provider = new Provider(issuer, {
    clients: [
      {
        ...service,
        client_id: CLIENTS.basic.clientId,
        client_secret: CLIENTS.basic.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        ...service,
        client_id: CLIENTS.post.clientId,
        client_secret: CLIENTS.post.clientSecret,
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        ...service,
        client_id: CLIENTS.jwt.clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [clientKeyPair.publicKey.export({ format: 'jwk' })] },
      },
      {
        client_id: CLIENTS.cli.clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [CLIENTS.cli.redirectUri],
      },
    ],
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256' }] },
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ['openid', 'offline_access', 'reports:read'],
    ttl: {
      ClientCredentials: clientCredentialsTtlSeconds,
      AccessToken: accessTokenTtlSeconds,
      RefreshToken: 3_600,
      Grant: 3_600,
    },
    rotateRefreshToken: true,
    pkce: { required: () => true },
    findAccount: async (_context: unknown, accountId: string) => ({
      accountId,
      claims: async () => ({ sub: accountId }),
    }),
    interactions: { url: (_context: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });

  const grants: OidcServer['grants'] = [];
  provider.on('grant.success', (context) => {
    const params = context.oidc.params ?? {};
    grants.push({
      grantType: String(params.grant_type),
      clientId: context.oidc.client?.clientId,
      refreshToken: typeof params.refresh_token === 'string' ? params.refresh_token : undefined,
    });
  });

  // Logs the user in as `user-1`, then grants every scope and claim the client asks for.
  async function interact(request: IncomingMessage, response: ServerResponse) {
    const details = await provider.interactionDetails(request, response);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: 'user-1' } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant =
      (details.grantId && (await provider.Grant.find(details.grantId))) ||
      new provider.Grant({ accountId: details.session?.accountId ?? 'user-1', clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    await provider.interactionFinished(
      request,
      response,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  const handle = provider.callback();
  server.on('request', (request, response) => {
    if (request.url?.startsWith('/interaction/')) {
      interact(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    } else handle(request, response);
  });

  const find = async (accessToken: string) =>
    (await provider.AccessToken.find(accessToken)) ?? (await provider.ClientCredentials.find(accessToken));

  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    authorizationUrl: `${issuer}/auth`,
    provider,
    grants,
    async isValid(accessToken) {
      const token = await find(accessToken);
      return token !== undefined && !token.isExpired;
    },
    async revoke(accessToken) {
      await (await find(accessToken))?.destroy();
    },
    async authorize(authorizationUrl) {
      const cookies = new Map<string, string>();
      let url = authorizationUrl;
      for (let hop = 0; hop < 10; hop++) {
        const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
        const response = await fetch(url, { redirect: 'manual', headers: { cookie } });
        for (const line of response.headers.getSetCookie()) {
          const pair = line.slice(0, line.indexOf(';'));
          cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
        }
        const location = response.headers.get('location');
        await response.body?.cancel();
        if (!location) throw new Error(`the authorization flow stopped with HTTP ${response.status} at ${url}`);
        url = new URL(location, url).href;
        if (url.startsWith(CLIENTS.cli.redirectUri)) return url;
      }
      throw new Error('the authorization flow did not reach the redirect URI');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
