import type { Middleware } from '@ferrule/core';
import { editable, optional, strictObject, validateOptions } from './deps.ts';
import { hasMethod, IDEMPOTENCY_KEY } from './outcome.ts';
import { methods } from './plan.ts';

/**
 * Options of {@link idempotencyKey}.
 * @example
 * const options: IdempotencyKeyOptions = { methods: ['POST', 'PATCH', 'PUT'] };
 */
export interface IdempotencyKeyOptions {
  /** Methods that get a key. @default ['POST', 'PATCH'] */
  methods?: readonly string[];
}

/**
 * Gives each POST and PATCH call a unique `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header):
 * a random UUID as a Structured Field string (RFC 8941), so that a server that honours it runs the
 * call once however often it arrives. Place it before `retry()`: the key is set once per call, every
 * retry sends the same one, and `retry()` retries such requests. A key the caller set is kept, so a
 * caller that needs its own keys sets the header itself.
 * @example
 * const fetch = createFetch({ use: [idempotencyKey(), retry()] });
 * await fetch('https://api.example.com/payments', { method: 'POST', body });
 */
export function idempotencyKey(options: IdempotencyKeyOptions = {}): Middleware {
  const { methods: keyed = ['POST', 'PATCH'] } = validateOptions(
    strictObject({ methods: optional(methods) }),
    options,
    'idempotencyKey',
  );
  const keyedMethods = new Set(keyed);
  return async function idempotencyKey(request, context, next) {
    if (!hasMethod(keyedMethods, request.method) || request.headers.has(IDEMPOTENCY_KEY)) return next(request, context);
    const keyedRequest = editable(request, context);
    keyedRequest.headers.set(IDEMPOTENCY_KEY, `"${crypto.randomUUID()}"`);
    return next(keyedRequest, context);
  };
}
