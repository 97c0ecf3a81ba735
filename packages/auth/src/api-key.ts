import { ConfigError, type Middleware, validateOptions } from '@ferrule/core';
import { minLength, optional, pipe, strictObject, string } from 'valibot';
import {
  type CredentialOptions,
  credentialEntries,
  credentialed,
  headerName,
  reveal,
  type Secret,
  secretSchema,
  whenReady,
} from './credentialed.ts';

/** Options of {@link apiKey}. */
export interface ApiKeyOptions extends CredentialOptions {
  /** The key, or a function that reads it at call time. */
  value: Secret;
  /** The header that carries the key. @default 'x-api-key' (when `query` is not given) */
  header?: string;
  /** The query parameter that carries the key instead of a header, e.g. `'api_key'`. */
  query?: string;
}

const ApiKeySchema = () =>
  strictObject({
    value: secretSchema(),
    header: optional(headerName()),
    query: optional(pipe(string(), minLength(1, 'a parameter name'))),
    ...credentialEntries(),
  });

/**
 * Sends an API key in a header (default `X-API-Key`) or a query parameter, on every attempt.
 * A provider function is called per request, so a rotated key is picked up at once.
 * @example
 * const fetch = createFetch({ use: [apiKey({ header: 'x-api-key', value: () => process.env.SHOP_KEY ?? '' })] });
 */
export const apiKey = (options: ApiKeyOptions): Middleware => {
  validateOptions(ApiKeySchema(), options, 'apiKey');
  const { value, header = 'x-api-key', query, ...credentialOptions } = options;
  if (query !== undefined && options.header !== undefined) {
    throw new ConfigError('apiKey.query', 'either `header` or `query`, not both');
  }
  const name = 'api-key';
  return credentialed(
    query === undefined
      ? { name, sign: (request) => whenReady(reveal(value, name, request), (key) => request.headers.set(header, key)) }
      : {
          name,
          sign() {},
          async url(url, request) {
            const keyed = new URL(url);
            keyed.searchParams.set(query, await reveal(value, name, request));
            return keyed.href;
          },
        },
    credentialOptions,
  );
};
