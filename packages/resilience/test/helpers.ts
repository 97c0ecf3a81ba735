import type { EmittedEvent, FakeClock, FerruleEvent, FerruleEventType, FetchFunction } from '@ferrule/core';
import { expect } from 'vitest';

/** Collects every event of a client, and picks them by type without the call's method, URL and time. */
export function recordEvents() {
  const events: FerruleEvent[] = [];
  return {
    events,
    onEvent: (event: FerruleEvent) => void events.push(event),
    of<Type extends FerruleEventType>(type: Type): Omit<Extract<EmittedEvent, { type: Type }>, 'type'>[] {
      return events
        .filter((event) => event.type === type)
        .map(({ type: _type, method: _method, url: _url, timeMs: _timeMs, ...rest }) => rest as never);
    },
  };
}

/**
 * The terminal fetch of a unit test: records each request (and the signal it was sent with) and
 * answers as told. Not a mock of anything: it is the next handler.
 */
export function recordingFetch(answer: (request: Request, index: number) => Response | Promise<Response>) {
  const seen: { request: Request; signal: AbortSignal }[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const request = input instanceof Request && !init ? input : new Request(input, init);
    seen.push({ request, signal: init?.signal ?? request.signal });
    return answer(request, seen.length - 1);
  };
  return { fetch, seen };
}

/**
 * Asserts both sides of a wait on the fake clock: at `ms - 1` the waiters (`sleepers` of them) still
 * sleep, then time moves to `ms`. `during` checks more at `ms - 1`.
 */
export async function expectWait(clock: FakeClock, ms: number, { sleepers = 1, during = () => {} } = {}) {
  await clock.advance(ms - 1);
  expect(clock.pending).toBe(sleepers);
  during();
  await clock.advance(1);
}
