import { createFakeClock, createFetch, type FakeClock, type FerruleEvent } from '@ferrule/core';
import { type RateLimitOptions, rateLimit } from '../src/index.ts';

/** Lets every promise chain that is ready run to its end. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Answer = (request: Request, index: number) => Response | Promise<Response>;

/**
 * A client with one `rateLimit` on a fake clock, over a next handler that records the requests it
 * receives and answers `answer` (200 by default). `hold()` makes the handler keep its answers until
 * `finish()` lets the oldest one go.
 */
export function harness(options: RateLimitOptions = {}, answer?: Answer, clock: FakeClock = createFakeClock(0)) {
  const events: FerruleEvent[] = [];
  const sent: Request[] = [];
  const held: (() => void)[] = [];
  let holding = false;
  const fetch = createFetch({
    use: [rateLimit(options)],
    clock,
    onEvent: (event) => events.push(event),
    fetch: async (input, init) => {
      // A request nobody can abort reaches the terminal as a URL and its init (core's fast path).
      const request = input instanceof Request ? input : new Request(input, init);
      sent.push(request);
      const response = answer ? await answer(request, sent.length) : new Response('ok');
      if (!holding) return response;
      return new Promise<Response>((resolve) => held.push(() => resolve(response)));
    },
  });
  return {
    clock,
    events,
    sent,
    fetch,
    /** The paths the handler received, in order. */
    paths: () => sent.map((request) => new URL(request.url).pathname),
    /** The `ratelimit` events, without the fields every event has. */
    limits: () =>
      events
        .filter((event) => event.type === 'ratelimit')
        .map(({ type: _type, method: _method, url: _url, timeMs: _timeMs, ...rest }) => rest),
    hold: () => {
      holding = true;
    },
    finish: async () => {
      held.shift()?.();
      await flush();
    },
  };
}
