import {
  type Clock,
  ConfigError,
  createFetch,
  type FerruleEvent,
  type FetchFunction,
  type Middleware,
  redactUrl,
  validateOptions,
} from '@ferrule/core';
import ky, { type BeforeErrorHook, type KyInstance, type Options } from 'ky';
import * as v from 'valibot';
import { bodyLimit } from './body-limit.ts';
import { assemble, clientOrder, type Slot, type Slots } from './order.ts';
import { createParseJson, type JsonParser } from './parse-json.ts';
import { PARSED_FOR, withValidation } from './validated-client.ts';

/**
 * Options of {@link createClient}: ky's options, minus the concerns ferrule owns, plus the chain.
 * `cache` is the cache slot here; a request's cache mode (`cache: 'no-store'`) is still given per call.
 * @example
 * const options: ClientOptions = { baseUrl: 'https://api.example.com/', maxBodyBytes: 1_048_576 };
 */
export interface ClientOptions extends Omit<Options, 'fetch' | 'retry' | 'timeout' | 'totalTimeout' | 'cache'>, Slots {
  /**
   * Your own order of middlewares, outermost first. A slot's name (`'cache'`) stands for that slot's
   * middlewares. @default the slots given, in the recommended order
   */
  use?: readonly (Middleware | Slot)[];
  /** The terminal fetch, e.g. `undiciFetch()` from `@ferrule/transport/undici`. @default globalThis.fetch */
  fetch?: FetchFunction;
  /** Receives every event of every call; a listener that throws never breaks a request. */
  onEvent?: (event: FerruleEvent) => void;
  /** The clock of every middleware. @default systemClock */
  clock?: Clock;
  /** The most bytes a response body may have; past it a `BodyTooLargeError`. @default no limit */
  maxBodyBytes?: number;
}

const fn = <T>(expected: string) => v.custom<T>((value) => typeof value === 'function', expected);
const middleware = fn<Middleware>('a middleware function');
const slot = v.optional(v.union([middleware, v.array(middleware)]));

const ClientOptionsSchema = v.looseObject({
  observability: slot,
  cache: slot,
  resilience: slot,
  rateLimit: slot,
  auth: slot,
  use: v.optional(v.array(v.union([middleware, v.picklist(clientOrder)]))),
  fetch: v.optional(fn<FetchFunction>('a fetch function')),
  onEvent: v.optional(fn<(event: FerruleEvent) => void>('a function')),
  clock: v.optional(v.custom<Clock>((value) => typeof (value as Clock | null)?.now === 'function', 'a Clock')),
  maxBodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  parseJson: v.optional(fn<JsonParser>('a function')),
});

// ky's own retry and timeouts would be a second owner of what `@ferrule/resilience` does.
const OWNED_ELSEWHERE = ['retry', 'timeout', 'totalTimeout'];

// ky's errors put the raw URL in their message (and stack): key-like query parameters are redacted.
const redactKyError: BeforeErrorHook = ({ error, request }) => {
  const url = request.url;
  const redacted = redactUrl(url);
  if (redacted !== url) {
    error.message = error.message.replaceAll(url, redacted);
    if (error.stack) error.stack = error.stack.replaceAll(url, redacted);
  }
  return error;
};

/**
 * Creates an HTTP client: a real ky instance (`.get().json()`, `searchParams`, hooks, `.extend()`)
 * whose `fetch` is a ferrule middleware chain. Give the concerns in their slots and they are composed in
 * the recommended order (observability → cache → resilience → rate limit → auth → fetch), or give your
 * own order in `use`. ky's own retry and timeout are off: `@ferrule/resilience` owns them. `.json(schema)`
 * validates with any Standard Schema and throws a `ValidationError`; a body that is not the JSON asked
 * for throws a `ParseError`; a body past `maxBodyBytes` a `BodyTooLargeError`.
 * @example
 * const api = createClient({
 *   baseUrl: 'https://api.example.com/v1/',
 *   resilience: [retry(), timeout({ attemptMs: 2_000 })],
 *   auth: bearer({ token: process.env.API_TOKEN }),
 * });
 * const user = await api.get('users/42').json(User);
 */
export function createClient(options: ClientOptions = {}): KyInstance {
  const owned = OWNED_ELSEWHERE.find((key) => key in options);
  if (owned) {
    const instead = owned === 'retry' ? 'retry()' : 'timeout()';
    throw new ConfigError(
      `createClient.${owned}`,
      `no such option (ky's is off): use ${instead} of @ferrule/resilience`,
    );
  }
  validateOptions(ClientOptionsSchema, options, 'createClient');
  const {
    observability,
    cache,
    resilience,
    rateLimit,
    auth,
    use,
    fetch,
    onEvent,
    clock,
    maxBodyBytes,
    parseJson,
    hooks,
    ...kyOptions
  } = options;
  const chain = assemble(options, use);
  // Innermost, so that no layer ever buffers an oversized body.
  chain.push(bodyLimit(maxBodyBytes === undefined ? {} : { maxBytes: maxBodyBytes }));
  const parse = createParseJson(parseJson);
  const instance = ky.create({
    ...kyOptions,
    fetch: createFetch({
      use: chain,
      ...(fetch && { fetch }),
      ...(onEvent && { onEvent }),
      ...(clock && { clock }),
    }),
    retry: 0,
    timeout: false,
    parseJson(text, context) {
      (context.response as Response & { [PARSED_FOR]?: Request })[PARSED_FOR] = context.request;
      return parse(text, context);
    },
    hooks: { ...hooks, beforeError: [redactKyError, ...(hooks?.beforeError ?? [])] },
  });
  return withValidation(instance);
}
