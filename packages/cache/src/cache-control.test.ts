import { describe, expect, it } from 'vitest';
import { deltaMs, fieldNames, parseCacheControl } from './cache-control.ts';

const parse = (value: string) => Object.fromEntries(parseCacheControl(value));

describe('parseCacheControl', () => {
  it('reads directives case-insensitively, with and without arguments', () => {
    expect(parse('Public, MAX-AGE=60, no-transform')).toEqual({ public: true, 'max-age': '60', 'no-transform': true });
  });

  it('unquotes quoted arguments and keeps commas inside them', () => {
    expect(parse('no-cache="Set-Cookie, X-Trace", max-age="3600"')).toEqual({
      'no-cache': 'Set-Cookie, X-Trace',
      'max-age': '3600',
    });
    expect(parse('ext="a \\"quoted\\" word"')).toEqual({ ext: 'a "quoted" word' });
  });

  it('never reads a directive out of a quoted string', () => {
    expect(parse('extension="max-age=3600", max-age=1')).toEqual({ extension: 'max-age=3600', 'max-age': '1' });
    expect(parse('max-age=1, extension="max-age=3600"')).toEqual({ extension: 'max-age=3600', 'max-age': '1' });
  });

  it('ignores members that are not token[=argument]', () => {
    expect(parse('max-age =100, max-age= 100, , =5, "quoted", public')).toEqual({ public: true });
  });

  it('keeps a single-quoted argument as the token it is, which no number parser accepts', () => {
    expect(parse("max-age='3600'")).toEqual({ 'max-age': "'3600'" });
    expect(deltaMs(parseCacheControl("max-age='3600'"), 'max-age')).toBeUndefined();
  });

  it('keeps the argument of a repeated directive that agrees, and an unusable one when it conflicts', () => {
    expect(parse('max-age=60, max-age=60')).toEqual({ 'max-age': '60' });
    expect(parse('max-age=1800, max-age=1')).toEqual({ 'max-age': '' });
    expect(parse('no-cache, no-cache="a"')).toEqual({ 'no-cache': '' });
  });

  it('treats __proto__ as a name like any other', () => {
    const directives = parseCacheControl('__proto__=1, constructor');
    expect(directives.get('__proto__')).toBe('1');
    expect(directives.get('constructor')).toBe(true);
  });

  it('gives an empty map for an absent or empty field', () => {
    expect(parseCacheControl(null).size).toBe(0);
    expect(parseCacheControl('').size).toBe(0);
  });
});

describe('deltaMs', () => {
  const of = (value: string) => deltaMs(parseCacheControl(`max-age=${value}`), 'max-age');

  it('reads delta-seconds as milliseconds, leading zeros included', () => {
    expect(of('60')).toBe(60_000);
    expect(of('003600')).toBe(3_600_000);
    expect(of('0')).toBe(0);
  });

  it('has no value for negative, fractional or non-numeric arguments', () => {
    for (const value of ['-1', '3600.0', '3600.5', 'a100', '100a', '""']) expect(of(value)).toBeUndefined();
    expect(deltaMs(parseCacheControl('max-age'), 'max-age')).toBeUndefined();
  });

  it('counts values beyond 2^31 seconds as 2^31 seconds (RFC 9111 §1.2.2)', () => {
    expect(of('2147483648')).toBe(2 ** 31 * 1000);
    expect(of('99999999999999999999999')).toBe(2 ** 31 * 1000);
  });
});

describe('fieldNames', () => {
  it('lists the lower-cased field names of a qualified directive, nothing for an unqualified one', () => {
    expect(fieldNames('Set-Cookie, X-Trace')).toEqual(['set-cookie', 'x-trace']);
    expect(fieldNames(true)).toEqual([]);
    expect(fieldNames(undefined)).toEqual([]);
  });
});
