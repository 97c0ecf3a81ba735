import { type HmacOptions, hmac, oauth2 } from '@ferrule/auth';
import { type Clock, createFetch, type FetchFunction, type Middleware } from '@ferrule/core';
import { onTestFinished } from 'vitest';
import { type CatalogueApi, type CatalogueApiOptions, startCatalogueApi } from '../src/api/server.ts';

/** Starts the embedded API (5 products, no chaos unless asked) and closes it when the test ends. */
export async function startApi(options: Partial<CatalogueApiOptions> = {}): Promise<CatalogueApi> {
  const api = await startCatalogueApi({ items: 5, seed: 1, chaos: 0, ...options });
  onTestFinished(() => api.close());
  return api;
}

/** Options of {@link signingFetch}. */
export interface SigningFetchOptions {
  clock?: Clock;
  /** Changes the signing: another secret, key id or components. */
  signing?: Partial<HmacOptions>;
  /** Middlewares between the signer and the network, e.g. one that tampers with the signed request. */
  after?: Middleware[];
  /** Middlewares outside auth, e.g. resilience. */
  before?: Middleware[];
}

/** A fetch that gets tokens from the API and signs every request as the demo's client does. */
export function signingFetch(api: CatalogueApi, options: SigningFetchOptions = {}): FetchFunction {
  const { clientId, clientSecret, keyId, signingSecret } = api.credentials;
  return createFetch({
    ...(options.clock && { clock: options.clock }),
    use: [
      ...(options.before ?? []),
      oauth2({ tokenUrl: `${api.url}/oauth/token`, clientId, clientSecret }),
      hmac({ keyId, secret: signingSecret, ...options.signing }),
      ...(options.after ?? []),
    ],
  });
}

/** A PATCH of a product's price, with an idempotency key. */
export const patch = (
  fetch: FetchFunction,
  api: CatalogueApi,
  id: number,
  priceCents: number,
  key: string = crypto.randomUUID(),
) =>
  fetch(`${api.url}/products/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
    body: JSON.stringify({ priceCents }),
  });

/** The product as the API holds it now. */
export const productOf = (api: CatalogueApi, id: number) =>
  api.catalogue().products.find((product) => product.id === id);

/** A token from the API's token endpoint, fetched by hand. */
export async function tokenFor(api: CatalogueApi, secret = api.credentials.clientSecret): Promise<Response> {
  const basic = Buffer.from(`${api.credentials.clientId}:${secret}`).toString('base64');
  return fetch(`${api.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
}
