import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createFetch, memoryStore, type TokenSet } from '@ferrule/core';
import { createTestServer, type RecordedRequest } from '@ferrule/testing/vitest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  apiKey,
  awsSigV4,
  basic,
  bearer,
  finishAuthorization,
  hmac,
  jwtBearer,
  oauth2,
  presignAwsUrl,
  startAuthorization,
  verifyWebhook,
} from './index.ts';

// Each README example, as it is written there, with its URLs pointed at local test servers and its
// secrets in stubbed environment variables.
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const tokenEndpoint = {
  'POST /oauth/token': {
    json: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-2' },
  },
};
const echo = (request: RecordedRequest) => ({ json: { headers: request.headers, url: request.url } });

describe('README examples', () => {
  it('Example: oauth2 client credentials', async () => {
    vi.stubEnv('REPORTS_CLIENT_SECRET', 'reports-secret');
    const auth = await createTestServer(tokenEndpoint);
    const api = await createTestServer({ '/v1/reports': echo });
    // --- README ---
    const fetch = createFetch({
      use: [
        oauth2({
          tokenUrl: `${auth.url}/oauth/token`,
          clientId: 'reports',
          clientSecret: process.env.REPORTS_CLIENT_SECRET ?? '',
          scope: 'reports:read',
        }),
      ],
    });
    const response = await fetch(`${api.url}/v1/reports`);
    // --- end ---
    expect(response.status).toBe(200);
    expect(api.requests[0]?.headers.authorization).toBe('Bearer at-1');
    expect(auth.requests[0]?.headers.authorization).toBe(`Basic ${btoa('reports:reports-secret')}`);
  });

  it('API key', async () => {
    vi.stubEnv('SHOP_API_KEY', 'shop-key');
    vi.stubEnv('MAPS_KEY', 'maps-key');
    const server = await createTestServer({ '/products': echo, '/geocode': echo });
    // --- README ---
    const fetch = createFetch({
      use: [apiKey({ header: 'x-api-key', value: () => process.env.SHOP_API_KEY ?? '' })],
    });
    await fetch(`${server.url}/products`);
    const maps = createFetch({ use: [apiKey({ query: 'key', value: process.env.MAPS_KEY ?? '' })] });
    await maps(`${server.url}/geocode?address=Main+St`);
    // --- end ---
    expect(server.requests.map((request) => [request.url, request.headers['x-api-key']])).toEqual([
      ['/products', 'shop-key'],
      ['/geocode?address=Main+St&key=maps-key', undefined],
    ]);
  });

  it('Bearer token and basic credentials', async () => {
    vi.stubEnv('GITHUB_TOKEN', 'ghp_token');
    vi.stubEnv('REGISTRY_PASSWORD', 'registry-pw');
    const server = await createTestServer({ '/user': echo, '/v2/_catalog': echo });
    // --- README ---
    const github = createFetch({ use: [bearer(() => process.env.GITHUB_TOKEN ?? '')] });
    await github(`${server.url}/user`);
    const registry = createFetch({
      use: [basic({ username: 'ci', password: () => process.env.REGISTRY_PASSWORD ?? '' })],
    });
    await registry(`${server.url}/v2/_catalog`);
    // --- end ---
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer ghp_token',
      `Basic ${btoa('ci:registry-pw')}`,
    ]);
  });

  it('OAuth 2.0: a refresh token kept in a shared store', async () => {
    vi.stubEnv('SYNC_CLIENT_SECRET', 'sync-secret');
    vi.stubEnv('SYNC_REFRESH_TOKEN', 'rt-1');
    const auth = await createTestServer(tokenEndpoint);
    const api = await createTestServer({ '/v1/calendar': echo });
    // --- README ---
    const tokens = memoryStore<TokenSet>(); // or a Redis token store shared by every process
    const fetch = createFetch({
      use: [
        oauth2({
          tokenUrl: `${auth.url}/oauth/token`,
          clientId: 'sync-worker',
          clientSecret: process.env.SYNC_CLIENT_SECRET ?? '',
          grant: 'refresh_token',
          refreshToken: process.env.SYNC_REFRESH_TOKEN ?? '',
          store: tokens,
          storeKey: 'user-42',
        }),
      ],
    });
    await fetch(`${api.url}/v1/calendar`);
    // --- end ---
    expect(new URLSearchParams(auth.requests[0]?.text()).get('refresh_token')).toBe('rt-1');
    expect((await tokens.get('user-42'))?.refreshToken).toBe('rt-2');
  });

  it('OAuth 2.0: log a user in from a CLI', async () => {
    const auth = await createTestServer({
      ...tokenEndpoint,
      // The authorization server, once the user has logged in, sends the browser back with a code.
      'GET /authorize': (request) => {
        const query = new URL(request.url, 'http://localhost').searchParams;
        return {
          status: 302,
          headers: { location: `${query.get('redirect_uri')}?code=c-1&state=${query.get('state')}` },
        };
      },
    });
    const api = await createTestServer({ '/v1/me': echo });
    const logged: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line));
    // The user's browser: opens the printed URL and lands on the loopback redirect URI.
    const waitForCallback = async (_port: number) => {
      const response = await globalThis.fetch(logged[0]?.replace(/^Open (\S+) to log in$/, '$1') ?? '', {
        redirect: 'manual',
      });
      return response.headers.get('location') ?? '';
    };
    // --- README ---
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const { url, state, codeVerifier } = await startAuthorization({
      authorizationUrl: `${auth.url}/authorize`,
      clientId: 'cli',
      redirectUri,
      scope: 'openid offline_access',
    });
    console.log(`Open ${url} to log in`);
    const callbackUrl = await waitForCallback(8765); // your loopback server: the URL the browser came back to
    const tokens = await finishAuthorization({
      tokenUrl: `${auth.url}/oauth/token`,
      clientId: 'cli',
      callbackUrl,
      redirectUri,
      state,
      codeVerifier,
    });
    const fetch = createFetch({
      use: [oauth2({ tokenUrl: `${auth.url}/oauth/token`, clientId: 'cli', grant: 'refresh_token', tokens })],
    });
    await fetch(`${api.url}/v1/me`);
    // --- end ---
    expect(new URLSearchParams(auth.requestsTo('POST /oauth/token')[0]?.text()).get('code_verifier')).toBe(
      codeVerifier,
    );
    expect(api.requests[0]?.headers.authorization).toBe('Bearer at-1');
  });

  it('HMAC signatures: RFC 9421 and a custom profile', async () => {
    vi.stubEnv('SIGNING_SECRET', 'signing-secret');
    vi.stubEnv('PAYMENTS_SECRET', 'payments-secret');
    const server = await createTestServer({ '/v1/orders': echo, '/v1/charges': echo });
    // --- README ---
    // RFC 9421 HTTP Message Signatures with an RFC 9530 Content-Digest of the body.
    const signed = createFetch({ use: [hmac({ keyId: 'client-1', secret: process.env.SIGNING_SECRET ?? '' })] });
    await signed(`${server.url}/v1/orders`, { method: 'POST', body: JSON.stringify({ sku: 'A-1' }) });

    // A custom profile: hex HMAC-SHA256 of "timestamp\nmethod\npath\nbody" in X-Signature.
    const payments = createFetch({
      use: [
        hmac({
          secret: process.env.PAYMENTS_SECRET ?? '',
          canonical: ({ timestamp, method, url, body }) => `${timestamp}\n${method}\n${url.pathname}\n${body}`,
          signatureHeader: 'x-signature',
          headers: ({ timestamp }) => ({ 'x-timestamp': String(timestamp) }),
        }),
      ],
    });
    await payments(`${server.url}/v1/charges`, { method: 'POST', body: '{"amount":100}' });
    // --- end ---
    const [order, charge] = server.requests as [RecordedRequest, RecordedRequest];
    expect(order.headers['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest"\);created=\d+;nonce="[\w-]+";keyid="client-1"$/,
    );
    const canonical = `${charge.headers['x-timestamp']}\nPOST\n/v1/charges\n{"amount":100}`;
    expect(charge.headers['x-signature']).toBe(createHmac('sha256', 'payments-secret').update(canonical).digest('hex'));
  });

  it('AWS Signature Version 4, and presigned URLs', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'aws-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'session-token');
    const server = await createTestServer({ '/reports/q1.csv': echo });
    // --- README ---
    const s3 = createFetch({
      use: [
        awsSigV4({
          region: 'eu-west-1',
          service: 's3',
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
          sessionToken: process.env.AWS_SESSION_TOKEN,
        }),
      ],
    });
    await s3(`${server.url}/reports/q1.csv`);

    const download = await presignAwsUrl(`${server.url}/reports/q1.csv`, {
      region: 'eu-west-1',
      service: 's3',
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      expiresInSeconds: 600,
    });
    // --- end ---
    const { headers } = server.requests[0] as RecordedRequest;
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[\da-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(new URL(download).searchParams.get('X-Amz-Expires')).toBe('600');
    expect((await fetch(download)).status).toBe(200);
  });

  it('Self-signed JWTs: a GitHub App, App Store Connect', async () => {
    vi.stubEnv(
      'GITHUB_APP_PRIVATE_KEY',
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    );
    vi.stubEnv(
      'ASC_PRIVATE_KEY',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
    const server = await createTestServer({ '/app/installations': echo, '/v1/apps': echo });
    // --- README ---
    const app = createFetch({
      use: [
        jwtBearer({
          algorithm: 'RS256',
          key: process.env.GITHUB_APP_PRIVATE_KEY ?? '',
          claims: { iss: '123456' },
          ttlSeconds: 540,
        }),
      ],
    });
    await app(`${server.url}/app/installations`);

    const appStore = createFetch({
      use: [
        jwtBearer({
          algorithm: 'ES256',
          key: process.env.ASC_PRIVATE_KEY ?? '', // the .p8 file's PEM
          keyId: 'ABC123DEFG',
          claims: { iss: '57246542-96fe-1a63-e053-0824d011072a', aud: 'appstoreconnect-v1' },
          ttlSeconds: 1_200,
        }),
      ],
    });
    await appStore(`${server.url}/v1/apps`);
    // --- end ---
    const [github, apple] = server.requests.map((request) => {
      const [header = '', payload = ''] = (request.headers.authorization ?? '').slice(7).split('.');
      return [JSON.parse(atob(header)), JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')))];
    });
    expect(github?.[0]).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(github?.[1]).toMatchObject({ iss: '123456' });
    expect(apple?.[0]).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'ABC123DEFG' });
    expect(apple?.[1]).toMatchObject({ aud: 'appstoreconnect-v1' });
  });

  it('Verifying webhooks you receive', async () => {
    vi.stubEnv('STRIPE_WEBHOOK_SECRET', 'whsec_readme');
    // --- README ---
    const verify = verifyWebhook({ style: 'stripe', secret: process.env.STRIPE_WEBHOOK_SECRET ?? '' });

    async function handleStripe(request: Request): Promise<Response> {
      const result = await verify(request);
      if (!result.valid) return new Response(result.reason, { status: 400 });
      const event = await request.json();
      return Response.json({ received: event.id });
    }
    // --- end ---
    const body = '{"id":"evt_1"}';
    const t = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', 'whsec_readme').update(`${t}.${body}`).digest('hex');
    const delivery = (v1: string) =>
      new Request('https://hooks.example.com/stripe', {
        method: 'POST',
        headers: { 'stripe-signature': `t=${t},v1=${v1}` },
        body,
      });
    expect(await (await handleStripe(delivery(signature))).json()).toEqual({ received: 'evt_1' });
    const forged = await handleStripe(delivery('0'.repeat(64)));
    expect([forged.status, await forged.text()]).toEqual([400, 'signature-mismatch']);
  });

  it('Per call: skip the credential', async () => {
    const server = await createTestServer({ '/public': echo });
    const fetch = createFetch({ use: [bearer('t0ken')] });
    await fetch(`${server.url}/public`, { ferrule: { auth: { skip: true } } });
    expect(server.requests[0]?.headers).not.toHaveProperty('authorization');
  });
});
