import { describe, expect, it } from 'vitest';
import { parseHttpDate } from './http-date.ts';

const expected = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('parseHttpDate', () => {
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT'],
    ['Sunday, 06-Nov-94 08:49:37 GMT'],
    ['Sun Nov  6 08:49:37 1994'],
    ['  Sun, 06 Nov 1994 08:49:37 GMT  '],
  ])('reads the RFC 9110 form %j as GMT', (value) => {
    expect(parseHttpDate(value, Date.UTC(2026, 0, 1))).toBe(expected);
  });

  it('reads a two-digit year as the most recent past year with those digits', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseHttpDate('Thursday, 01-Jan-70 00:00:00 GMT', now)).toBe(Date.UTC(2070, 0, 1));
    expect(parseHttpDate('Sunday, 01-Jan-77 00:00:00 GMT', now)).toBe(Date.UTC(1977, 0, 1));
  });

  it.each([
    ['0'],
    ['-1'],
    ['Sun, 06 Nov 1994 08:49:37 PST'],
    ['Sun, 06 Nov 1994 08:49:37'],
    ['sun, 06 nov 1994 08:49:37 gmt'],
    ['Sun, 31 Feb 1994 08:49:37 GMT'],
    ['Sun, 06 Foo 1994 08:49:37 GMT'],
    ['Sun, 06 Nov 1994 25:49:37 GMT'],
    ['1994-11-06T08:49:37Z'],
    [''],
  ])('rejects %j', (value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });
});
