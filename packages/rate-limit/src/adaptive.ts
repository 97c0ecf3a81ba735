import { type Context, getRetryAfterMs, parseRateLimitHeaders, type RateLimitInfo } from '@ferrule/core';
import type { Lane, Quota } from './lane.ts';

// Every quota header family: `RateLimit`, `RateLimit-Policy`, `RateLimit-*`, `X-RateLimit-*`, `X-Rate-Limit-*`.
const quotaHeader = /rate-?limit/;

// One pass over the names is far cheaper than asking for each family's headers by name.
const hasQuotaHeaders = (headers: Headers) => {
  for (const name of headers.keys()) if (quotaHeader.test(name)) return true;
  return false;
};

// 429 and 503 (RFC 9110 §15.6.4) ask for a pause with Retry-After; GitHub's secondary rate limit
// answers 403 with Retry-After. Without the header these statuses pause nothing.
const pauseStatuses = new Set([403, 429, 503]);

function announce(lane: Lane, quota: Quota, context: Context, action: 'paused' | 'slowed', waitMs: number) {
  if (quota.announced === action) return;
  quota.announced = action;
  context.emit({
    type: 'ratelimit',
    action,
    key: lane.key,
    waitMs: Math.ceil(waitMs),
    untilMs: quota.resetAtMs,
    reason: action === 'paused' ? 'quota-exhausted' : 'quota-low',
  });
}

/**
 * How long the server's quota holds a call of `cost` back: 0 when it may go, `Infinity` while a
 * probe is out to learn a new window's quota.
 */
export function quotaDelay(lane: Lane, cost: number, nowMs: number): number {
  const quota = lane.quota;
  if (!quota) return 0;
  if (!quota.probing && nowMs >= quota.resetAtMs) {
    // The window has passed: send one call and learn the new quota from its answer, rather than
    // trusting a reset time that the server rounded to whole seconds.
    quota.probing = true;
    quota.remaining = 1;
    quota.resetAtMs = Infinity;
    quota.announced = undefined;
  }
  if (quota.probing) return quota.remaining > 0 ? 0 : Infinity;
  if (quota.remaining < cost) return quota.resetAtMs - nowMs;
  return Math.max(0, lane.nextSlotMs - nowMs);
}

/** Counts a call let through against the quota; spreads the last of it over the rest of the window. */
export function spend(lane: Lane, cost: number, context: Context, slowBelow: number): void {
  const quota = lane.quota;
  if (!quota) return;
  quota.remaining -= cost;
  if (quota.probing) return;
  const nowMs = context.clock.now();
  if (quota.remaining <= 0) announce(lane, quota, context, 'paused', quota.resetAtMs - nowMs);
  else if (quota.limit !== undefined && quota.remaining < quota.limit * slowBelow) {
    const intervalMs = (quota.resetAtMs - nowMs) / quota.remaining;
    lane.nextSlotMs = nowMs + intervalMs;
    announce(lane, quota, context, 'slowed', intervalMs);
  }
}

function track(lane: Lane, info: RateLimitInfo & { resetMs: number }, nowMs: number, context: Context) {
  // Calls still in flight may or may not have been counted in this answer: assume they were not.
  const estimate = info.remaining - Math.max(0, lane.active - 1);
  const resetAtMs = nowMs + info.resetMs;
  let quota = lane.quota;
  // Within a window `remaining` only falls, give or take the calls that crossed on the wire; a
  // jump beyond those is a new window, even when the reset is rounded to the window's length.
  if (!quota || quota.probing || nowMs >= quota.resetAtMs || info.remaining > quota.reported + lane.active) {
    quota = {
      remaining: estimate,
      resetAtMs,
      limit: info.limit,
      reported: info.remaining,
      probing: false,
      announced: undefined,
    };
    lane.quota = quota;
    lane.nextSlotMs = 0;
    lane.wake?.(); // the pump may wait for the old window's reset, or for this answer
  } else {
    // Answers of one window arrive out of order: believe the most cautious count. Servers round
    // the reset up to whole seconds, so the earliest reset named is the closest to the truth.
    quota.remaining = Math.min(quota.remaining, estimate);
    quota.reported = Math.min(quota.reported, info.remaining);
    quota.resetAtMs = Math.min(quota.resetAtMs, resetAtMs);
    quota.limit ??= info.limit;
  }
  if (quota.remaining <= 0) announce(lane, quota, context, 'paused', quota.resetAtMs - nowMs);
}

/**
 * Learns from an answer: a `Retry-After` on 429/503 (or GitHub's 403) pauses the whole lane, and
 * quota headers (IETF `RateLimit` drafts 7–11, `RateLimit-*`, `X-RateLimit-*`) are tracked so the
 * lane stops before the quota runs out. Returns the pause it set, in ms (0 for none), for the
 * caller to share through the store.
 */
export function adapt(lane: Lane, response: Response, context: Context): number {
  const { headers, status } = response;
  const pausing = pauseStatuses.has(status);
  if (!pausing && !hasQuotaHeaders(headers)) return 0;
  const nowMs = context.clock.now();
  const info = parseRateLimitHeaders(headers, nowMs);
  // A reset of 0 says the quota is there now: nothing to wait for, nothing to track.
  if (info?.resetMs) track(lane, info as RateLimitInfo & { resetMs: number }, nowMs, context);
  const pauseMs = pausing ? (getRetryAfterMs(headers, { nowMs }) ?? 0) : 0;
  if (pauseMs <= 0 || nowMs + pauseMs <= lane.pausedUntilMs) return 0;
  lane.pausedUntilMs = nowMs + pauseMs;
  context.emit({
    type: 'ratelimit',
    action: 'paused',
    key: lane.key,
    waitMs: pauseMs,
    untilMs: lane.pausedUntilMs,
    reason: `retry-after (${status})`,
  });
  return pauseMs;
}
