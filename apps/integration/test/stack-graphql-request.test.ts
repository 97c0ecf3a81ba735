import { bearer } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import { createFetch } from '@ferrule/core';
import { rateLimit, tokenBucket } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import { createTestServer, type RecordedRequest, type ResponseSpec, type TestServer } from '@ferrule/testing/vitest';
import { buildSchema, graphql } from 'graphql';
import { ClientError, GraphQLClient, gql } from 'graphql-request';
import { beforeAll, describe, expect, it } from 'vitest';
import { recommendedChain } from './support/chain.ts';
import { observe } from './support/observe.ts';

// A small GraphQL endpoint served by the test server with graphql-js's own executor, and graphql-request
// on the whole stack. Queries go as GETs (cacheable), mutations as POSTs (keyed, retried once safe).
const TOKEN = 'graphql-access-token-93ad';

const schema = buildSchema(`
  type Product { id: Int!, name: String!, stock: Int! }
  type Query { product(id: Int!): Product, broken: Int }
  type Mutation { restock(id: Int!, amount: Int!): Product! }
`);

let server: TestServer;
const stock = new Map([
  [1, 318],
  [2, 12],
]);
/** Restocks applied, by Idempotency-Key; each key should be applied once. */
const restocks = new Map<string, unknown>();
const applied: string[] = [];

// Runs one GraphQL request the way a GraphQL-over-HTTP server does: GET reads the query string, POST the body.
async function execute(request: RecordedRequest): Promise<ResponseSpec> {
  if (request.headers.authorization !== `Bearer ${TOKEN}`)
    return { status: 401, json: { errors: [{ message: 'no' }] } };
  const url = new URL(request.url, 'http://localhost');
  const params =
    request.method === 'GET'
      ? {
          query: url.searchParams.get('query') ?? '',
          variables: JSON.parse(url.searchParams.get('variables') ?? '{}') as Record<string, unknown>,
          operationName: url.searchParams.get('operationName'),
        }
      : (request.json() as { query: string; variables?: Record<string, unknown>; operationName?: string });
  if (params.operationName === 'Outage') return { status: 503 };
  const key = request.headers['idempotency-key'];
  if (key && restocks.has(key)) return { json: restocks.get(key) };
  const result = await graphql({
    schema,
    source: params.query,
    variableValues: params.variables ?? {},
    operationName: params.operationName ?? null,
    rootValue: {
      product: ({ id }: { id: number }) => (stock.has(id) ? { id, name: `Ferrule ${id}`, stock: stock.get(id) } : null),
      broken: () => {
        throw new Error('the warehouse is on fire');
      },
      restock: ({ id, amount }: { id: number; amount: number }) => {
        stock.set(id, (stock.get(id) ?? 0) + amount);
        applied.push(key ?? 'no key');
        return { id, name: `Ferrule ${id}`, stock: stock.get(id) };
      },
    },
  });
  if (key) restocks.set(key, result);
  // The first restock is applied, but its answer is lost: the connection drops.
  if (key && applied.length === 1) return { reset: true };
  return { json: result, headers: { 'content-type': 'application/graphql-response+json; charset=utf-8' } };
}

beforeAll(async () => {
  server = await createTestServer({ 'GET /graphql': execute, 'POST /graphql': execute });
});

function graphqlClient() {
  const observed = observe();
  const fetch = createFetch({
    use: recommendedChain({
      observability: observed.middlewares,
      // The endpoint sends no caching headers: a route rule keeps GET queries for 30 s.
      cache: cache({ rules: [{ match: 'GET /graphql', ttlMs: 30_000 }] }),
      resilience: resilience({ idempotencyKey: true, retry: { backoff: { initialDelayMs: 5 } } }),
      rateLimit: rateLimit({ policy: tokenBucket({ ratePerSecond: 50, burst: 10 }) }),
      auth: bearer(TOKEN),
    }),
    onEvent: observed.onEvent,
  });
  const client = new GraphQLClient(`${server.url}/graphql`, {
    fetch,
    method: 'GET',
    // Per-operation ferrule options: graphql-request hands this init to fetch as it is.
    requestMiddleware: (request) => ({
      ...request,
      ferrule: {
        observability: { route: `graphql ${request.operationName ?? 'anonymous'}` },
        ...(request.operationName === 'Outage' && { retry: false as const }),
      },
    }),
  });
  return { client, observed };
}

const PRODUCT = gql`
  query Product($id: Int!) {
    product(id: $id) { id name stock }
  }
`;

describe('the full stack under graphql-request (createFetch as its fetch)', () => {
  it('sends queries as GETs that a route rule caches: the same query again costs no request', async () => {
    server.reset();
    const { client, observed } = graphqlClient();

    const first = await client.request<{ product: { stock: number } }>(PRODUCT, { id: 2 });
    const again = await client.request<{ product: { stock: number } }>(PRODUCT, { id: 2 });
    const other = await client.request<{ product: { stock: number } }>(PRODUCT, { id: 1 });

    expect([first.product.stock, again.product.stock, other.product.stock]).toEqual([12, 12, 318]);
    expect(server.requests.map((request) => request.method)).toEqual(['GET', 'GET']);
    // (`stored` events come once a body has been stored, a moment after the caller has it.)
    const lookups = observed.eventsOf('cache').filter((event) => event.status !== 'stored');
    expect(lookups.map((event) => event.status)).toEqual(['miss', 'hit', 'miss']);
  });

  it('applies a mutation once although its first answer was lost: the retry carries the same Idempotency-Key', async () => {
    server.reset();
    const { client, observed } = graphqlClient();
    const mutation = gql`
      mutation Restock($id: Int!, $amount: Int!) {
        restock(id: $id, amount: $amount) { id stock }
      }
    `;

    const result = await client.request<{ restock: { id: number; stock: number } }>(mutation, { id: 1, amount: 5 });

    expect(result.restock).toEqual({ id: 1, stock: 323 });
    const posts = server.requestsTo('POST /graphql');
    expect(posts.map((request) => request.headers['idempotency-key'])).toEqual([applied[0], applied[0]]);
    expect(applied).toHaveLength(1);
    expect(observed.eventsOf('retry').map((event) => event.reason)).toEqual(['network']);
  });

  it('hands per-operation options from requestMiddleware to the middlewares: a route name, and no retry for one operation', async () => {
    server.reset();
    const { client, observed } = graphqlClient();

    const error = await client.request(gql`query Outage { broken }`).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).response.status).toBe(503);
    expect(server.requests).toHaveLength(1);
    expect(observed.stats.snapshot().series.map((series) => [series.route, series.statusClass])).toEqual([
      ['graphql Outage', '5xx'],
    ]);
  });

  it('treats a GraphQL error in a 200 as an answer: no retry, a ClientError with the message', async () => {
    server.reset();
    const { client, observed } = graphqlClient();

    const error = await client.request(gql`query Broken { broken }`).catch((caught: unknown) => caught);

    expect((error as ClientError).response.errors?.map((each) => each.message)).toEqual(['the warehouse is on fire']);
    expect(server.requests).toHaveLength(1);
    expect(observed.eventsOf('retry')).toEqual([]);
  });
});
