import {
  type Clock,
  type ConfigError,
  createFetch,
  type FerruleEvent,
  type FetchFunction,
  isConfigError,
  type Middleware,
} from '@ferrule/core';

/**
 * A terminal fetch that records every request it is handed and answers with `answer` — the next
 * handler of the chain, not a mock of anything.
 */
export function recorder(
  answer: (request: Request, index: number) => Response | Promise<Response> = () => new Response('ok'),
) {
  const requests: Request[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    return answer(request, requests.length - 1);
  };
  return { fetch, requests };
}

/** A client with `middleware` over `fetch` (the real one by default), recording every event. */
export function client(middleware: Middleware | Middleware[], options: { fetch?: FetchFunction; clock?: Clock } = {}) {
  const events: FerruleEvent[] = [];
  const fetch = createFetch({
    use: Array.isArray(middleware) ? middleware : [middleware],
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { fetch, events, authEvents: () => events.filter((event) => event.type === 'auth') };
}

/** Epoch seconds of a fake clock. */
export const seconds = (clock: Clock) => Math.floor(clock.now() / 1000);

/** The `ConfigError` that `create` throws (anything else it throws fails the test), or undefined. */
export function configErrorOf(create: () => unknown): ConfigError | undefined {
  try {
    create();
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  return undefined;
}
