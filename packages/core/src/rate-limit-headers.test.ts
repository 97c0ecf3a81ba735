import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders, parseRateLimitPolicy, parseResetValue } from './rate-limit-headers.ts';

const nowMs = Date.UTC(2026, 10, 21, 12, 0, 0);
const nowSeconds = nowMs / 1000;

describe('parseRateLimitHeaders', () => {
  it.each([
    [
      'IETF drafts 8–11 with a policy',
      { ratelimit: '"default";r=50;t=30', 'ratelimit-policy': '"default";q=100;w=60' },
      { remaining: 50, resetMs: 30_000, limit: 100, windowMs: 60_000, policy: 'default', source: 'ietf' },
    ],
    [
      'IETF drafts 8–11, several policies: the one closest to exhaustion governs',
      {
        ratelimit: '"burst";r=40;t=1, "daily";r=0;t=3600',
        'ratelimit-policy': '"burst";q=100;w=60,"daily";q=1000;w=86400',
      },
      { remaining: 0, resetMs: 3_600_000, limit: 1000, windowMs: 86_400_000, policy: 'daily', source: 'ietf' },
    ],
    [
      'IETF drafts 8–11 with a partition key and no window',
      { ratelimit: '"default";r=999;pk=:dHJpYWwxMjEzMjM=:' },
      { remaining: 999, policy: 'default', source: 'ietf' },
    ],
    [
      'IETF draft 7 dictionary',
      { ratelimit: 'limit=100, remaining=50, reset=5', 'ratelimit-policy': '100;w=10' },
      { remaining: 50, resetMs: 5_000, limit: 100, windowMs: 10_000, source: 'ietf' },
    ],
    [
      'IETF drafts up to 6, separate fields (GitLab style)',
      { 'ratelimit-limit': '600', 'ratelimit-remaining': '599', 'ratelimit-reset': '60' },
      { remaining: 599, resetMs: 60_000, limit: 600, source: 'ietf-legacy' },
    ],
    [
      'GitHub: reset as epoch seconds',
      {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(nowSeconds + 1800),
        'x-ratelimit-used': '1',
      },
      { remaining: 4999, resetMs: 1_800_000, limit: 5000, source: 'x-ratelimit' },
    ],
    [
      'Twitter/X: hyphenated names, epoch seconds',
      { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(nowSeconds + 900) },
      { remaining: 0, resetMs: 900_000, limit: 900, source: 'x-ratelimit' },
    ],
    [
      'Discord: Reset-After in fractional seconds wins over the epoch Reset',
      {
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(nowSeconds + 2),
        'x-ratelimit-reset-after': '1.25',
      },
      { remaining: 0, resetMs: 1_250, limit: 5, source: 'x-ratelimit' },
    ],
    [
      'OpenAI: per-request family with durations',
      {
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '59',
        'x-ratelimit-reset-requests': '1s',
      },
      { remaining: 59, resetMs: 1_000, limit: 60, source: 'x-ratelimit' },
    ],
    [
      'delta seconds in X-RateLimit-Reset',
      { 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '42' },
      { remaining: 3, resetMs: 42_000, source: 'x-ratelimit' },
    ],
    [
      'epoch milliseconds in X-RateLimit-Reset',
      { 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(nowMs + 5_000) },
      { remaining: 3, resetMs: 5_000, source: 'x-ratelimit' },
    ],
  ])('reads %s', (_name, headers, expected) => {
    expect(parseRateLimitHeaders(new Headers(headers), nowMs)).toEqual(expected);
  });

  it.each([
    ['no rate-limit headers at all', {}],
    ['a malformed RateLimit field and nothing else', { ratelimit: '"default";r=' }],
    ['a negative remaining', { ratelimit: '"default";r=-1;t=1' }],
    ['a decimal remaining', { ratelimit: 'limit=10, remaining=2.5, reset=1' }],
    ['garbage in X-RateLimit-Remaining', { 'x-ratelimit-remaining': 'lots' }],
  ])('ignores %s', (_name, headers) => {
    expect(parseRateLimitHeaders(new Headers(headers), nowMs)).toBeUndefined();
  });

  it('falls back to X-RateLimit when the RateLimit field is malformed', () => {
    const headers = new Headers({ ratelimit: 'garbage;;', 'x-ratelimit-remaining': '7' });
    expect(parseRateLimitHeaders(headers, nowMs)).toEqual({ remaining: 7, source: 'x-ratelimit' });
  });

  it('treats an epoch reset in the past as no wait, and ignores a garbage reset', () => {
    expect(
      parseRateLimitHeaders(
        new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds - 10) }),
        nowMs,
      ),
    ).toEqual({
      remaining: 0,
      resetMs: 0,
      source: 'x-ratelimit',
    });
    expect(
      parseRateLimitHeaders(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'soon' }), nowMs),
    ).toEqual({
      remaining: 0,
      source: 'x-ratelimit',
    });
  });
});

describe('parseRateLimitPolicy', () => {
  it('reads named (drafts 8–11) and numeric (draft 7) policies and skips malformed items', () => {
    expect(
      parseRateLimitPolicy(new Headers({ 'ratelimit-policy': '"permin";q=50;w=60,"perhr";q=1000;w=3600' })),
    ).toEqual([
      { name: 'permin', quota: 50, windowMs: 60_000 },
      { name: 'perhr', quota: 1000, windowMs: 3_600_000 },
    ]);
    expect(parseRateLimitPolicy(new Headers({ 'ratelimit-policy': '10;w=1, 50;w=60' }))).toEqual([
      { quota: 10, windowMs: 1_000 },
      { quota: 50, windowMs: 60_000 },
    ]);
    expect(parseRateLimitPolicy(new Headers({ 'ratelimit-policy': '"x";w=60' }))).toEqual([]);
    expect(parseRateLimitPolicy(new Headers({ 'ratelimit-policy': '"x";q=1;w=' }))).toEqual([]);
  });
});

describe('parseResetValue', () => {
  it.each([
    ['30', 30_000],
    ['0.5', 500],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['20ms', 20],
    ['Sat, 21 Nov 2026 12:00:30 GMT', 30_000],
  ])('reads %j as %i ms', (value, expected) => {
    expect(parseResetValue(value, nowMs)).toBe(expected);
  });

  it.each([['-5'], ['soon'], ['5x'], [''], [null]])('rejects %j', (value) => {
    expect(parseResetValue(value, nowMs)).toBeUndefined();
  });
});
