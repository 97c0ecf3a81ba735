import { createFakeClock, isConfigError } from '@ferrule/core';
import type { RecordedRequest } from '@ferrule/testing';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { dataset, type Item, query, thrown } from '../test/support.ts';
import { paginate } from './paginate.ts';
import { timeWindow } from './time-window.ts';

const START = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;

// Serves the items with `since <= ts < until`, both ISO 8601.
const feed = (items: readonly Item[]) => (request: RecordedRequest) => {
  const since = Date.parse(query(request).get('since') ?? '');
  const until = Date.parse(query(request).get('until') ?? '');
  return { json: items.filter((item) => item.ts >= since && item.ts < until) };
};

describe('timeWindow', () => {
  it('walks windows of stepMs from since to until, every item once and in order', async () => {
    const items = dataset(3_000, START);
    const server = await createTestServer({ 'GET /events': feed(items) });
    const strategy = timeWindow({ since: START, until: START + 3_000_000, stepMs: 5 * MINUTE });
    expect(await paginate(fetch, `${server.url}/events`, { strategy }).toArray()).toEqual(items);
    expect(server.requests).toHaveLength(10);
    expect(server.requests[0]?.url).toBe(
      '/events?since=2025-01-01T00%3A00%3A00.000Z&until=2025-01-01T00%3A05%3A00.000Z',
    );
  });

  it('goes on past empty windows and cuts the last window at until', async () => {
    const items = [...dataset(5, START), ...dataset(5, START + 10 * MINUTE)];
    const server = await createTestServer({ 'GET /events': feed(items) });
    const strategy = timeWindow({ since: new Date(START), until: new Date(START + 10.5 * MINUTE), stepMs: 4 * MINUTE });
    expect(await paginate(fetch, `${server.url}/events`, { strategy }).toArray()).toEqual(items);
    expect(server.requests.map((request) => query(request).get('until'))).toEqual([
      '2025-01-01T00:04:00.000Z',
      '2025-01-01T00:08:00.000Z',
      '2025-01-01T00:10:30.000Z',
    ]);
  });

  it('ends at the clock time of the call when until is not given', async () => {
    const clock = createFakeClock(START + 2.5 * MINUTE);
    const server = await createTestServer({ 'GET /events': { json: [] } });
    const strategy = timeWindow({ since: '2025-01-01T00:00:00Z', stepMs: MINUTE });
    const paginator = paginate(fetch, `${server.url}/events`, { strategy, clock });
    await clock.advance(10 * MINUTE);
    await paginator.toArray();
    expect(server.requests.map((request) => query(request).get('until'))).toEqual([
      '2025-01-01T00:01:00.000Z',
      '2025-01-01T00:02:00.000Z',
      '2025-01-01T00:02:30.000Z',
    ]);
  });

  it('sends the time in the format and parameters the API reads', async () => {
    const server = await createTestServer({ 'GET /events': { json: [] } });
    const strategy = timeWindow({
      since: START,
      until: START + 2 * MINUTE,
      stepMs: MINUTE,
      sinceParam: 'start_time',
      untilParam: 'end_time',
      format: (ms) => String(ms / 1_000),
    });
    await paginate(fetch, `${server.url}/events`, { strategy }).toArray();
    expect(server.requests.map((request) => request.url)).toEqual([
      `/events?start_time=${START / 1_000}&end_time=${START / 1_000 + 60}`,
      `/events?start_time=${START / 1_000 + 60}&end_time=${START / 1_000 + 120}`,
    ]);
  });

  it('fetches windows ahead in parallel and still delivers them in order', async () => {
    const items = dataset(600, START);
    let active = 0;
    let most = 0;
    const server = await createTestServer({
      'GET /events': async (request) => {
        active++;
        most = Math.max(most, active);
        // Later windows answer first.
        await new Promise((resolve) => setTimeout(resolve, 40 - (server.requests.indexOf(request) % 4) * 10));
        active--;
        return feed(items)(request);
      },
    });
    const strategy = timeWindow({ since: START, until: START + 10 * MINUTE, stepMs: MINUTE });
    expect(await paginate(fetch, `${server.url}/events`, { strategy, concurrency: 4 }).toArray()).toEqual(items);
    expect(server.requests).toHaveLength(10);
    expect(most).toBe(4);
  });

  it.each([
    [{ since: 'yesterday', stepMs: 1 }, 'timeWindow.since'],
    [{ since: START, until: START - 1, stepMs: 1 }, 'timeWindow.until'],
    [{ since: START, stepMs: 0 }, 'timeWindow.stepMs'],
    [{ since: START, stepMs: 1, format: 'iso' }, 'timeWindow.format'],
  ])('refuses %o with a ConfigError naming %s', async (options, option) => {
    const error = await thrown(() => timeWindow(options as never));
    expect(isConfigError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });
});
