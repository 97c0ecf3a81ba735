import type { Middleware } from '@ferrule/core';
import { ConfigError, optional, strictObject, union, validateOptions } from './deps.ts';
import {
  discard,
  holds,
  type Outcome,
  outcomeOf,
  outcomeTest,
  reasonOf,
  settle,
  TRANSIENT_STATUSES,
} from './outcome.ts';
import { fn, statuses } from './plan.ts';

/**
 * What a fallback handler is told: the request, and the response or error that it replaces.
 * @example
 * fallback(({ response, error }) => Response.json({ items: [], stale: true, reason: response?.status ?? String(error) }));
 */
export type FallbackState = Outcome;

/**
 * Options of {@link fallback}.
 * @example
 * const options: FallbackOptions = { on: [503] };
 */
export interface FallbackOptions {
  /**
   * Which outcomes are replaced: a list of statuses (every error, but a caller's abort, is replaced
   * too), or a predicate that decides alone.
   * @default [408, 429, 500, 502, 503, 504]
   */
  on?: readonly number[] | ((state: FallbackState) => boolean);
}

const FallbackSchema = strictObject({ on: optional(union([statuses, fn<FallbackOptions['on']>()])) });

/**
 * Answers with `handler`'s response when the call fails: a network error, a timeout, an open
 * circuit, a full bulkhead, or a status in `on`. A call the caller aborted is never answered. The
 * failed response's body is cancelled unless the handler read it or returned it. Emits `fallback`.
 * @example
 * const fetch = createFetch({
 *   use: [fallback(() => Response.json({ items: [], stale: true })), retry()],
 * });
 */
export function fallback(
  handler: (state: FallbackState) => Response | Promise<Response>,
  options: FallbackOptions = {},
): Middleware {
  validateOptions(fn(), handler, 'fallback.handler');
  const { on = TRANSIENT_STATUSES } = validateOptions(FallbackSchema, options, 'fallback');
  const replaces = outcomeTest(on as NonNullable<FallbackOptions['on']>, true);

  return async function fallback(request, context, next) {
    const state = await outcomeOf(request, next(request, context));
    if (!holds(state, context.signal, replaces)) return settle(state);
    context.emit({ type: 'fallback', reason: reasonOf(state) });
    let answer: unknown;
    try {
      answer = await handler(state);
    } finally {
      if (answer !== state.response) discard(state.response);
    }
    if (answer instanceof Response) return answer;
    throw new ConfigError('fallback.handler', 'a function returning a Response', { request });
  };
}
