import { isValidationError, type StandardSchemaV1, ValidationError, validateData } from '@ferrule/core';
import type { Input, KyInstance, Options, ResponsePromise } from 'ky';

/**
 * Issues a {@link ValidationError} keeps at most (each message cut to 200 characters): the error of a
 * large array that fails everywhere stays small.
 * @example
 * error.issues.length <= MAX_ISSUES; // true
 */
export const MAX_ISSUES = 20;

const METHODS = ['get', 'post', 'put', 'patch', 'head', 'delete', 'query'] as const;

// Where the client's `parseJson` leaves the request it parsed for on the response, for the error to name
// it. A property, not a WeakMap: ephemerons for every response made garbage collection measurably slower.
export const PARSED_FOR = Symbol('ferrule.parsedFor');
type Parsed = Response & { [PARSED_FOR]?: Request };

/**
 * Validates parsed JSON with any Standard Schema and returns the typed output; on a mismatch throws a
 * {@link ValidationError} with the issue paths and messages (never the received values, at most
 * {@link MAX_ISSUES} of them), the method and the redacted URL, and never the body. For responses read
 * without ky; a client's `.json(schema)` does this itself.
 * @example
 * const response = await fetch(request);
 * const product = await validateResponse(Product, await response.json(), request);
 */
export async function validateResponse<Schema extends StandardSchemaV1>(
  schema: Schema,
  data: unknown,
  request: { method: string; url: string },
): Promise<StandardSchemaV1.InferOutput<Schema>> {
  try {
    return await validateData(schema, data, { request });
  } catch (error) {
    if (!isValidationError(error)) throw error;
    const kept = error.issues
      .slice(0, MAX_ISSUES)
      .map(({ path, message }) => ({ path, message: message.slice(0, 200) }));
    throw new ValidationError(kept, { request });
  }
}

const methodOf = (input: Input, options?: Options) =>
  (options?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();

/**
 * Wraps a ky instance so that `.json(schema)` throws ferrule's {@link ValidationError} (issue paths,
 * method, redacted URL) instead of ky's `SchemaValidationError` (the raw issues, which quote the
 * received values), naming the request that the client's `parseJson` left on the response.
 */
export function withValidation(instance: KyInstance): KyInstance {
  const decorate = <T>(promise: ResponsePromise<T>, method: string): ResponsePromise<T> => {
    const json = promise.json;
    promise.json = async function json_(schema?: StandardSchemaV1) {
      // Called synchronously, like ky's own, so that ky still sets `Accept: application/json`.
      const data = await json();
      if (schema === undefined) return data;
      const response = await promise;
      return validateResponse(schema, data, (response as Parsed)[PARSED_FOR] ?? { method, url: response.url });
    } as ResponsePromise<T>['json'];
    return promise;
  };
  const client = Object.assign(
    <T>(input: Input, options?: Options) => decorate(instance<T>(input, options), methodOf(input, options)),
    {
      extend: (defaults: Parameters<KyInstance['extend']>[0]) => withValidation(instance.extend(defaults)),
      // `create` starts over from ky's defaults, as ky documents: a plain ky instance, no ferrule chain.
      create: instance.create,
      stop: instance.stop,
      retry: instance.retry,
    },
  ) as KyInstance;
  for (const method of METHODS) {
    (client as unknown as Record<string, unknown>)[method] = <T>(input: Input, options?: Options) =>
      decorate((instance[method] as KyInstance['get'])<T>(input, options), method.toUpperCase());
  }
  return client;
}
