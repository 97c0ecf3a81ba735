import { describe, expect, it } from 'vitest';
import { getRetryAfterMs, parseRetryAfter } from './retry-after.ts';

const nowMs = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['1.5', 1_500],
    ['Sat, 21 Nov 2026 12:00:30 GMT', 30_000],
    ['Saturday, 21-Nov-26 12:01:00 GMT', 60_000],
    ['Sat Nov 21 12:00:10 2026', 10_000],
    ['Sat, 21 Nov 2026 11:00:00 GMT', 0],
  ])('reads %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, { nowMs })).toBe(expected);
  });

  it.each([
    ['-1'],
    ['abc'],
    [''],
    ['1e3'],
    ['0x10'],
    ['Infinity'],
    ['NaN'],
    ['10 seconds'],
    ['Sat, 31 Feb 2026 12:00:00 GMT'],
    ['2026-11-21T12:00:30Z'],
  ])('rejects %j', (value) => {
    expect(parseRetryAfter(value, { nowMs })).toBeUndefined();
  });

  it('rejects a missing value', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('caps absurd delays at maxMs, one day by default', () => {
    expect(parseRetryAfter('99999999999999999999999', { nowMs })).toBe(86_400_000);
    expect(parseRetryAfter('3600', { nowMs, maxMs: 60_000 })).toBe(60_000);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', { nowMs })).toBe(86_400_000);
  });
});

describe('getRetryAfterMs', () => {
  it('prefers retry-after-ms, then Retry-After', () => {
    expect(getRetryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(getRetryAfterMs(new Headers({ 'retry-after': '9' }))).toBe(9_000);
    expect(getRetryAfterMs(new Headers({ 'retry-after-ms': '-5', 'retry-after': '2' }))).toBe(2_000);
    expect(getRetryAfterMs(new Headers())).toBeUndefined();
  });

  it('caps retry-after-ms too', () => {
    expect(getRetryAfterMs(new Headers({ 'retry-after-ms': '5000000000' }), { maxMs: 1_000 })).toBe(1_000);
  });
});
