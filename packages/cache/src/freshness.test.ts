import { describe, expect, it } from 'vitest';
import { parseCacheControl } from './cache-control.ts';
import { currentAgeMs, type Exchange, freshness, type StoredResponse, storable } from './freshness.ts';

const NOW = Date.UTC(2025, 0, 1);
const date = (offsetMs: number) => new Date(NOW + offsetMs).toUTCString();

const exchange = (fields: Record<string, string>, overrides: Partial<Exchange> = {}): Exchange => {
  const headers = new Headers(fields);
  return {
    headers,
    directives: parseCacheControl(headers.get('cache-control')),
    requestTime: NOW,
    responseTime: NOW,
    shared: false,
    ttlMs: undefined,
    ...overrides,
  };
};

const lifetime = (fields: Record<string, string>, status = 200, overrides: Partial<Exchange> = {}) =>
  freshness(status, exchange(fields, overrides)).lifetimeMs;

describe('freshness lifetime (RFC 9111 §4.2.1)', () => {
  it('takes max-age first, then Expires minus Date', () => {
    expect(lifetime({ 'cache-control': 'max-age=60', expires: date(3_600_000), date: date(0) })).toBe(60_000);
    expect(lifetime({ expires: date(3_600_000), date: date(0) })).toBe(3_600_000);
  });

  it('counts Expires from the time the response arrived when it has no Date', () => {
    expect(lifetime({ expires: date(90_000) })).toBe(90_000);
  });

  it('treats an invalid Expires, 0 in particular, as already expired', () => {
    for (const expires of ['0', '-1', 'tomorrow', 'Thu, 01 Jan 2099 00:00:00 UTC']) {
      expect(lifetime({ expires, date: date(0), 'last-modified': date(-86_400_000) })).toBe(0);
    }
  });

  it('treats invalid, negative and conflicting max-age as stale, even beside a future Expires', () => {
    for (const cacheControl of ['max-age=-100', 'max-age=100a', 'max-age=1800, max-age=1', 'max-age']) {
      expect(lifetime({ 'cache-control': cacheControl, expires: date(3_600_000), date: date(0) })).toBe(0);
    }
  });

  it('caps a huge max-age at 2^31 seconds', () => {
    expect(lifetime({ 'cache-control': 'max-age=99999999999' })).toBe(2 ** 31 * 1000);
  });

  it('uses s-maxage only in a shared cache', () => {
    const fields = { 'cache-control': 's-maxage=3600, max-age=1' };
    expect(lifetime(fields)).toBe(1_000);
    expect(lifetime(fields, 200, { shared: true })).toBe(3_600_000);
  });

  it('is zero for no-cache whatever else the response says', () => {
    expect(lifetime({ 'cache-control': 'max-age=600, no-cache' })).toBe(0);
    expect(lifetime({ 'cache-control': 'max-age=600, no-cache="set-cookie"' })).toBe(600_000);
  });

  it('is the TTL a rule forces, counted from arrival, whatever the headers say', () => {
    const figures = freshness(200, exchange({ 'cache-control': 'max-age=5', age: '100' }, { ttlMs: 30_000 }));
    expect(figures).toMatchObject({ lifetimeMs: 30_000, initialAgeMs: 0, ttlMs: 30_000 });
  });
});

describe('heuristic freshness (RFC 9111 §4.2.2)', () => {
  const tenDaysAgo = { 'last-modified': date(-10 * 86_400_000), date: date(0) };

  it('is a tenth of the time since Last-Modified for heuristically cacheable statuses', () => {
    for (const status of [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]) {
      expect(lifetime(tenDaysAgo, status)).toBe(86_400_000);
    }
  });

  it('is zero for other statuses unless the response is public', () => {
    for (const status of [201, 202, 302, 403, 500, 502, 503, 504, 599]) expect(lifetime(tenDaysAgo, status)).toBe(0);
    expect(lifetime({ ...tenDaysAgo, 'cache-control': 'public' }, 599)).toBe(86_400_000);
  });

  it('is zero without a Last-Modified, or with one in the future or unparsable', () => {
    expect(lifetime({ date: date(0) })).toBe(0);
    expect(lifetime({ 'last-modified': date(60_000), date: date(0) })).toBe(0);
    expect(lifetime({ 'last-modified': 'last week', date: date(0) })).toBe(0);
  });
});

describe('age (RFC 9111 §4.2.3)', () => {
  const stored = (fields: Record<string, string>, overrides: Partial<Exchange> = {}) =>
    freshness(200, exchange(fields, overrides)) as unknown as StoredResponse;

  it('adds the Age header to the time the response took to arrive', () => {
    const figures = stored({ age: '30', date: date(0) }, { requestTime: NOW - 2_000 });
    expect(figures.initialAgeMs).toBe(32_000);
  });

  it('takes the apparent age from Date when that is larger', () => {
    expect(stored({ date: date(-45_000) }).initialAgeMs).toBe(45_000);
    // A Date in the future never makes a negative age.
    expect(stored({ date: date(45_000) }).initialAgeMs).toBe(0);
  });

  it('ignores an Age that is a list, negative, fractional or not a number', () => {
    for (const age of ['abc', '-7200', '7200.0', '7200, 0', '0,7200']) expect(stored({ age }).initialAgeMs).toBe(0);
  });

  it('grows with the time the response has been stored', () => {
    const figures = { ...stored({ age: '10' }), responseTime: NOW };
    expect(currentAgeMs(figures, NOW + 5_000)).toBe(15_000);
    expect(currentAgeMs(figures, NOW - 5_000)).toBe(10_000);
  });
});

describe('storable (RFC 9111 §3)', () => {
  const can = (fields: Record<string, string>, status = 200, overrides: Partial<Exchange> = {}, credentialed = false) =>
    storable(status, exchange(fields, overrides), credentialed);

  it('refuses no-store, partial content and 304s', () => {
    expect(can({ 'cache-control': 'max-age=60, No-Store' })).toBe(false);
    expect(can({ 'cache-control': 'max-age=60' }, 206)).toBe(false);
    expect(can({ 'cache-control': 'max-age=60' }, 304)).toBe(false);
  });

  it('needs explicit freshness for statuses that are not heuristically cacheable', () => {
    expect(can({}, 500)).toBe(false);
    expect(can({ 'cache-control': 'max-age=60' }, 500)).toBe(true);
    expect(can({ expires: 'garbage' }, 302)).toBe(true);
    expect(can({ 'cache-control': 'private' }, 201)).toBe(true);
    expect(can({}, 200)).toBe(true);
  });

  it('lets must-understand store only understood statuses, and then overrides no-store', () => {
    expect(can({ 'cache-control': 'must-understand, no-store, max-age=60' })).toBe(true);
    expect(can({ 'cache-control': 'must-understand, no-store, max-age=60' }, 299)).toBe(false);
  });

  it('keeps private responses out of a shared cache', () => {
    expect(can({ 'cache-control': 'private, max-age=60' }, 200, { shared: true })).toBe(false);
    expect(can({ 'cache-control': 'private="set-cookie", max-age=60' }, 200, { shared: true })).toBe(true);
    expect(can({ 'cache-control': 'private, max-age=60' })).toBe(true);
  });

  it('stores a response to a request with credentials in a shared cache only when allowed (§3.5)', () => {
    const shared = { shared: true };
    expect(can({ 'cache-control': 'max-age=60' }, 200, shared, true)).toBe(false);
    for (const allowed of ['public', 'must-revalidate', 's-maxage=60']) {
      expect(can({ 'cache-control': `max-age=60, ${allowed}` }, 200, shared, true)).toBe(true);
    }
  });

  it('stores only heuristically cacheable statuses under a TTL rule', () => {
    expect(can({}, 200, { ttlMs: 1_000 })).toBe(true);
    expect(can({ 'cache-control': 'max-age=60' }, 500, { ttlMs: 1_000 })).toBe(false);
  });
});
