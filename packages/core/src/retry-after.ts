import { parseHttpDate } from './http-date.ts';

/** How to read a Retry-After value. */
export interface RetryAfterOptions {
  /** The current time, for HTTP-dates. @default Date.now() */
  nowMs?: number;
  /** Longer delays are capped to this. @default 86_400_000 (one day) */
  maxMs?: number;
}

const DELAY_SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Reads a `Retry-After` value (RFC 9110 §10.2.3) as a delay in milliseconds: delay-seconds or an
 * HTTP-date. Garbage and negative values give `undefined`; a date in the past gives 0; an absurd
 * delay is capped to `maxMs`.
 * @example
 * parseRetryAfter('120');  // 120000
 * parseRetryAfter('-1');   // undefined
 */
export function parseRetryAfter(
  value: string | null | undefined,
  { nowMs = Date.now(), maxMs = 86_400_000 }: RetryAfterOptions = {},
): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  let delayMs: number | undefined;
  // Fractional seconds are not in the RFC, but servers send them and the meaning is plain.
  if (DELAY_SECONDS.test(text)) delayMs = Math.ceil(Number(text) * 1000);
  else {
    const dateMs = parseHttpDate(text, nowMs);
    if (dateMs !== undefined) delayMs = Math.max(0, dateMs - nowMs);
  }
  return delayMs === undefined ? undefined : Math.min(delayMs, maxMs);
}

/**
 * The delay a response asks for before the next request, in milliseconds: `retry-after-ms`
 * (sent by OpenAI and Azure) first, then `Retry-After`; `undefined` when neither is usable.
 * @example
 * getRetryAfterMs(response.headers, { maxMs: 60_000 });
 */
export function getRetryAfterMs(headers: Headers, options: RetryAfterOptions = {}): number | undefined {
  const milliseconds = headers.get('retry-after-ms')?.trim();
  if (milliseconds && DELAY_SECONDS.test(milliseconds)) {
    return Math.min(Number(milliseconds), options.maxMs ?? 86_400_000);
  }
  return parseRetryAfter(headers.get('retry-after'), options);
}
