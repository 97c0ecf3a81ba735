import { hmac, oauth2 } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import type { FerruleEvent, FetchFunction } from '@ferrule/core';
import { type LogRecord, logging, type Metrics, metrics } from '@ferrule/observability';
import { concurrency, rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import { createClient } from '@ferrule/transport';
import { undiciFetch } from '@ferrule/transport/undici';
import type { SecretScan } from './secrets.ts';

/** Options of {@link createCatalogueClient}. */
export interface CatalogueClientOptions {
  /** The API's base URL, ending with a slash. */
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The key id and secret that sign writes (RFC 9421, HMAC-SHA256). */
  keyId: string;
  signingSecret: string;
  /** The client's own limit. */
  ratePerSecond: number;
  /** Calls in flight at most. @default 8 */
  maxConcurrent?: number;
  /**
   * The limit of each attempt, until its headers. In the recommended order it also covers the wait in
   * the rate limiter's queue, so it must outlast a server's `Retry-After` pause (1 s here) with room.
   * @default 2_000
   */
  attemptTimeoutMs?: number;
  /** Receives every event of every call. */
  onEvent: (event: FerruleEvent) => void;
  /** Looks for secrets in every log record. */
  scan: SecretScan;
}

/** The ky instance that {@link createCatalogueClient} returns, with what goes with it. */
export type Api = ReturnType<typeof createClient>;

/** A client of the catalogue: ky on ferrule's chain, a fetch for `paginate`, and the readings. */
export interface CatalogueClient {
  api: Api;
  /** The same client as a standard fetch, for `paginate`: non-2xx answers are returned, not thrown. */
  fetch: FetchFunction;
  metrics: Metrics;
  /** Log records by level. */
  logged: Record<'info' | 'warn' | 'error', number>;
  /** Closes the client's connections. */
  close(): Promise<void>;
}

const ROUTES = [
  { match: 'GET /products/*', name: '/products/:id' },
  { match: 'PATCH /products/*', name: '/products/:id' },
  { match: 'GET /products', name: '/products' },
  { match: 'GET /categories', name: '/categories' },
];

/**
 * The client, composed from every ferrule package in the recommended order through `createClient`'s
 * slots: observability (logs with redaction, metrics) → cache (RFC 9111) → resilience (total timeout
 * → retry → circuit breaker → attempt timeout, idempotency keys) → rate limit (token bucket and
 * concurrency, adapting to 429 and RateLimit headers) → auth (OAuth 2.0 client credentials; writes
 * also signed with RFC 9421 HMAC) → undici.
 * @example
 * const client = createCatalogueClient({ baseUrl: `${api.url}/`, tokenUrl, …, onEvent, scan });
 * const product = await client.api.get('products/7').json();
 */
export function createCatalogueClient(options: CatalogueClientOptions): CatalogueClient {
  const { scan, attemptTimeoutMs = 2_000, maxConcurrent = 8 } = options;
  const transport = undiciFetch({ connections: maxConcurrent * 2 });
  const stats = metrics({ routes: ROUTES });
  const logged = { info: 0, warn: 0, error: 0 };
  const record = (level: keyof typeof logged) => (entry: LogRecord, message: string) => {
    logged[level]++;
    scan.scan(`${message} ${JSON.stringify(entry)}`);
  };
  const api = createClient({
    baseUrl: options.baseUrl,
    observability: [
      logging({ logger: { info: record('info'), warn: record('warn'), error: record('error') }, headers: true }),
      stats,
    ],
    cache: cache(),
    resilience: resilience({
      timeout: { attemptMs: attemptTimeoutMs, totalMs: 20_000 },
      retry: { maxAttempts: 4, backoff: { initialDelayMs: 100 } },
      circuitBreaker: { breaker: { type: 'consecutive', threshold: 5 }, halfOpenAfterMs: 1_000 },
      idempotencyKey: true,
    }),
    rateLimit: rateLimit({
      policy: [tokenBucket({ ratePerSecond: options.ratePerSecond }), concurrency({ max: maxConcurrent })],
    }),
    auth: [
      oauth2({
        tokenUrl: options.tokenUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        store: scan.tokenStore(),
        fetch: transport,
      }),
      hmac({ keyId: options.keyId, secret: options.signingSecret, match: 'PATCH /**' }),
    ],
    fetch: transport,
    maxBodyBytes: 1_048_576,
    onEvent: options.onEvent,
  });
  const fetch: FetchFunction = (input, init) =>
    api(input as string, { ...(init as Parameters<Api>[1]), throwHttpErrors: false });
  return { api, fetch, metrics: stats, logged, close: () => transport.close() };
}
