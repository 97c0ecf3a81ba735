import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '@ferrule/core';
import {
  createTestServer,
  type RecordedRequest,
  type ResponseSpec,
  type RouteHandler,
  rateLimited,
} from '@ferrule/testing';
import { type Catalogue, createCatalogue } from './catalogue.ts';
import { type Fault, type FaultKind, faultPlan } from './faults.ts';
import { idempotencyLedger } from './idempotency.ts';
import { catalogueRoutes } from './routes.ts';
import { type SignatureFailure, signatureVerifier } from './signatures.ts';
import { tokenIssuer } from './tokens.ts';

/** Options of {@link startCatalogueApi}. */
export interface CatalogueApiOptions {
  /** How many products the catalogue holds. */
  items: number;
  /** Seeds the catalogue and the faults. */
  seed: number;
  /** The fraction of API requests that meet a fault; above 0 also one outage and one token revocation. */
  chaos: number;
  /** Requests per second the API allows (a token bucket with a burst of as many). @default 50 */
  ratePerSecond?: number;
  /** How long access tokens live. @default 3 */
  tokenTtlSeconds?: number;
  /** How late a `slow-headers` fault answers (later than the client's attempt timeout). @default 2_500 */
  slowHeadersMs?: number;
  /** How long the outage lasts. @default 1_200 */
  outageMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** The client credentials the embedded API accepts; secrets are new on every start. */
export interface ApiCredentials {
  clientId: string;
  clientSecret: string;
  keyId: string;
  signingSecret: string;
}

/** What the embedded API saw and did. */
export interface ApiStats {
  /** API requests received (the token endpoint's aside), 429s included. */
  requests: number;
  /** Requests refused with 429. */
  rateLimited: number;
  tokens: { issued: number; rejected: number; revocations: number };
  signatures: { verified: number; rejected: Partial<Record<SignatureFailure, number>> };
  writes: { applied: number; replayed: number; refused: number };
  faults: Record<FaultKind | 'outage', number>;
}

/** A running embedded catalogue API. */
export interface CatalogueApi {
  /** `http://127.0.0.1:PORT` */
  url: string;
  credentials: ApiCredentials;
  /** The data as it stands: what a client's sync is verified against. */
  catalogue(): Catalogue;
  stats(): ApiStats;
  close(): Promise<void>;
}

type Handler = (request: RecordedRequest, origin: string) => ResponseSpec | Promise<ResponseSpec>;

/**
 * Starts the product catalogue on 127.0.0.1 (a free port), built on `@ferrule/testing`'s server: an
 * OAuth 2.0 token endpoint with short-lived tokens, cursor and Link pagination, ETags and 304s,
 * HMAC-signed (RFC 9421) idempotent writes, a token-bucket rate limit answering 429 with `Retry-After`
 * and `RateLimit` headers, and — at `chaos` — seeded faults, one outage and one token revocation.
 * @example
 * const api = await startCatalogueApi({ items: 200, seed: 1, chaos: 0.1 });
 * // … sync against api.url …
 * await api.close();
 */
export async function startCatalogueApi(options: CatalogueApiOptions): Promise<CatalogueApi> {
  const { items, seed, chaos, ratePerSecond = 50, tokenTtlSeconds = 3, clock = systemClock } = options;
  const credentials: ApiCredentials = {
    clientId: 'catalogue-demo',
    clientSecret: randomBytes(24).toString('base64url'),
    keyId: 'catalogue-demo-writes',
    signingSecret: randomBytes(32).toString('base64url'),
  };
  const { clientId, clientSecret, keyId, signingSecret } = credentials;
  const tokens = tokenIssuer({ clientId, clientSecret, ttlSeconds: tokenTtlSeconds, clock });
  const verify = signatureVerifier({ keys: { [keyId]: signingSecret }, clock });
  const ledger = idempotencyLedger();
  const faults = faultPlan({ seed, chaos, slowHeadersMs: options.slowHeadersMs ?? 2_500 });
  const routes = catalogueRoutes(createCatalogue(items, seed), clock);
  const incidents = incidentSchedule(chaos > 0 ? items : 0, options.outageMs ?? 1_200, clock, tokens.revokeAll);
  const stats = { requests: 0, verified: 0, rejected: {} as Partial<Record<SignatureFailure, number>> };

  const write = async (request: RecordedRequest, origin: string, fault: Fault | undefined) => {
    // A 5xx comes before anything is applied; the other faults lose or delay the answer after it.
    if (fault?.kind === '5xx') return faults.inflict(fault, {});
    const check = await verify(request, origin);
    if (!check.valid) {
      stats.rejected[check.reason] = (stats.rejected[check.reason] ?? 0) + 1;
      return { status: 403, json: { error: 'signature rejected', reason: check.reason } };
    }
    stats.verified++;
    const { answer } = ledger.run(request, () => routes.patchProduct(request));
    return fault ? faults.inflict(fault, answer) : answer;
  };

  const reads: Record<string, Handler> = {
    'GET /products': (request) => routes.listProducts(request),
    'GET /categories': (request, origin) => routes.listCategories(request, origin),
    'GET /products/:id': (request) => {
      const answer = routes.getProduct(request);
      if (answer.status === undefined && request.headers['if-none-match'] !== answer.etag) incidents.served();
      return answer;
    },
  };

  // Every API call: rate limit (outermost), bearer token, outage, faults, then the route itself.
  const limited = rateLimited({
    limit: ratePerSecond,
    algorithm: 'token-bucket',
    headers: 'ietf',
    now: () => clock.now(),
    async respond(request) {
      const denied = tokens.authenticate(request);
      if (denied) return denied;
      if (incidents.inOutage()) return { status: 503, json: { error: 'outage' } };
      const origin = `http://${request.headers.host}`;
      const fault = faults.draw(request.method, request.url);
      if (request.method === 'PATCH') return write(request, origin, fault);
      const answer = await (reads[request.route as string] as Handler)(request, origin);
      return fault ? faults.inflict(fault, answer) : answer;
    },
  });
  const received: RouteHandler = (request, context) => {
    stats.requests++;
    return limited(request, context);
  };
  const server = await createTestServer({
    'POST /oauth/token': tokens.endpoint,
    ...Object.fromEntries([...Object.keys(reads), 'PATCH /products/:id'].map((pattern) => [pattern, received])),
  });

  return {
    url: server.url,
    credentials,
    catalogue: routes.snapshot,
    stats: () => ({
      requests: stats.requests,
      rateLimited: limited.stats.refused,
      tokens: { issued: tokens.stats.issued, rejected: tokens.stats.rejected, revocations: incidents.revocations() },
      signatures: { verified: stats.verified, rejected: { ...stats.rejected } },
      writes: { applied: routes.stats.writesApplied, replayed: ledger.stats.replayed, refused: ledger.stats.refused },
      faults: { ...faults.stats, outage: incidents.outageAnswers() },
    }),
    close: () => server.close(),
  };
}

/**
 * The incidents of a chaotic run, triggered by progress rather than time so that they land mid-sync
 * at any rate: once a quarter of the products were served, every token is revoked; once half were,
 * the API answers 503 to everything for `outageMs`. `items` 0 turns both off.
 */
function incidentSchedule(items: number, outageMs: number, clock: Clock, revokeAll: () => void) {
  let served = 0;
  let revocations = 0;
  let outageAnswers = 0;
  let outageUntilMs = Number.NEGATIVE_INFINITY;
  return {
    served() {
      served++;
      if (items === 0) return;
      if (served === Math.ceil(items / 4)) {
        revokeAll();
        revocations++;
      }
      if (served === Math.ceil(items / 2)) outageUntilMs = clock.now() + outageMs;
    },
    inOutage() {
      const inside = clock.now() < outageUntilMs;
      if (inside) outageAnswers++;
      return inside;
    },
    revocations: () => revocations,
    outageAnswers: () => outageAnswers,
  };
}
