import { isTimeoutError } from './deps.ts';
import { noop } from './signal.ts';

/**
 * What one attempt ended with: a response, or an error (never both). Predicates such as `retryOn`,
 * `failureOn` and a fallback handler are given one.
 * @example
 * const retryOn = ({ response, error }: Outcome) => response?.status === 409 || error instanceof TypeError;
 */
export interface Outcome {
  /** The request of the attempt. Its body may have been sent already: do not read it. */
  request: Request;
  response?: Response;
  error?: unknown;
}

/** Statuses that say "try again later": RFC 9110 §15.5.9 (408), RFC 6585 §4 (429), 500, 502, 503, 504. */
export const TRANSIENT_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

/** The header that makes a POST safe to retry (draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY = 'idempotency-key';

/** Methods a retry or a hedge may send twice: the idempotent ones of RFC 9110 §9.2.2. */
export const IDEMPOTENT_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];

/** The failures a layer counts by default besides statuses: network errors and attempt timeouts. */
const isTransientError = (error: unknown): boolean =>
  error instanceof TypeError || (isTimeoutError(error) && error.scope === 'attempt');

/**
 * A predicate over outcomes from a list of statuses (plus network errors and attempt timeouts, or
 * with `anyError` every error) or from the caller's own predicate, compiled once.
 */
export const outcomeTest = <State extends Outcome>(
  test: readonly number[] | ((state: State) => boolean),
  anyError = false,
): ((state: State) => boolean) => {
  if (typeof test === 'function') return test;
  const statuses = new Set(test);
  return ({ response, error }) => (response ? statuses.has(response.status) : anyError || isTransientError(error));
};

/**
 * Why an outcome failed, for events: `status`, `network` (a fetch `TypeError`), or the error's
 * `code` in lower case (`timeout`, `circuit_open`, `bulkhead_rejected` … for ferrule errors), else `error`.
 */
export const reasonOf = ({ response, error }: Outcome): string =>
  response
    ? 'status'
    : error instanceof TypeError
      ? 'network'
      : String((error as { code?: unknown } | undefined)?.code ?? 'error').toLowerCase();

/** What `sent` ended with, as an outcome that never rejects. */
export async function outcomeOf(request: Request, sent: Promise<Response>): Promise<Outcome> {
  try {
    return { request, response: await sent };
  } catch (error) {
    return { request, error };
  }
}

/**
 * Whether `test` holds for an outcome, never for an error after the caller aborted: the caller no
 * longer waits for an answer, and the host is not to blame.
 */
export const holds = <State extends Outcome>(state: State, signal: AbortSignal, test: (state: State) => boolean) =>
  (state.response || !signal.aborted) && test(state);

/** The response, or a throw of the error. */
export const settle = ({ response, error }: Outcome): Response => {
  if (response) return response;
  throw error;
};

/** Lets go of a response nobody will read, so its connection can be reused. */
export const discard = (response: Response | undefined): void => {
  // A body already read or locked refuses to cancel: nothing to let go then.
  response?.body?.cancel().catch(noop);
};

/** Whether `method` is in `methods` (held in upper case): fetch leaves `patch` as written. */
export const hasMethod = (methods: ReadonlySet<string>, method: string): boolean => methods.has(method.toUpperCase());
