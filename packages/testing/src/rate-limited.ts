import type { RecordedRequest, ResponseSpec, RouteHandler, RouteSpec } from './test-server.ts';

/** How the server advertises its limit. */
export type RateLimitHeaderStyle =
  /** `RateLimit: "default";r=4;t=1` + `RateLimit-Policy: "default";q=5;w=1` (drafts 8–11) */
  | 'ietf'
  /** `RateLimit: limit=5, remaining=4, reset=1` + `RateLimit-Policy: 5;w=1` (draft 7) */
  | 'ietf-draft-7'
  /** `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (drafts up to 6) */
  | 'ietf-legacy'
  /** `X-RateLimit-Limit/-Remaining/-Reset` with the reset as epoch seconds (GitHub) */
  | 'x-ratelimit'
  /** `X-RateLimit-Limit/-Remaining/-Reset` with the reset as delta seconds */
  | 'x-ratelimit-delta'
  /** No quota headers: only `Retry-After` on a 429 */
  | 'none';

/** Options of {@link rateLimited}. */
export interface RateLimitedOptions {
  /** Requests allowed per window. */
  limit: number;
  /** @default 1000 */
  windowMs?: number;
  /**
   * `fixed-window` counts requests per aligned window; `token-bucket` refills `limit` tokens evenly
   * over `windowMs` up to a burst of `limit`. @default 'fixed-window'
   */
  algorithm?: 'fixed-window' | 'token-bucket';
  /** @default 'ietf' */
  headers?: RateLimitHeaderStyle;
  /** Whether a 429 carries `Retry-After` (delta seconds, rounded up). @default true */
  retryAfter?: boolean;
  /** What an allowed request gets. @default { json: { ok: true } } */
  respond?: RouteSpec;
  /** The time source. @default Date.now */
  now?: () => number;
  /** Counts requests per key (e.g. per API key header). @default one shared limit */
  key?: (request: RecordedRequest) => string;
}

/** A route that enforces a rate limit and answers `429 Too Many Requests` beyond it. */
export interface RateLimitedRoute extends RouteHandler {
  /** How many requests were allowed and refused so far. */
  readonly stats: { allowed: number; refused: number };
}

function quotaHeaders(
  style: RateLimitHeaderStyle,
  limit: number,
  remaining: number,
  resetMs: number,
  windowMs: number,
  nowMs: number,
) {
  const reset = Math.max(0, Math.ceil(resetMs / 1000));
  const window = Math.max(1, Math.round(windowMs / 1000));
  switch (style) {
    case 'ietf':
      return {
        ratelimit: `"default";r=${remaining};t=${reset}`,
        'ratelimit-policy': `"default";q=${limit};w=${window}`,
      };
    case 'ietf-draft-7':
      return {
        ratelimit: `limit=${limit}, remaining=${remaining}, reset=${reset}`,
        'ratelimit-policy': `${limit};w=${window}`,
      };
    case 'ietf-legacy':
      return {
        'ratelimit-limit': String(limit),
        'ratelimit-remaining': String(remaining),
        'ratelimit-reset': String(reset),
      };
    case 'x-ratelimit':
      return {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(Math.ceil((nowMs + resetMs) / 1000)),
      };
    case 'x-ratelimit-delta':
      return {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(reset),
      };
    default:
      return {};
  }
}

/**
 * A route handler that enforces `limit` requests per `windowMs` and answers 429 beyond it, with the
 * quota headers of the chosen style on every answer. Allowed requests get `respond`.
 * @example
 * const limited = rateLimited({ limit: 10, windowMs: 1000, headers: 'x-ratelimit' });
 * const server = await createTestServer({ 'GET /items': limited });
 * // later: limited.stats.refused
 */
export function rateLimited({
  limit,
  windowMs = 1000,
  algorithm = 'fixed-window',
  headers: style = 'ietf',
  retryAfter = true,
  respond = { json: { ok: true } },
  now = Date.now,
  key = () => 'default',
}: RateLimitedOptions): RateLimitedRoute {
  const stats = { allowed: 0, refused: 0 };
  const windows = new Map<string, { start: number; used: number }>();
  const buckets = new Map<string, { tokens: number; at: number }>();

  // Answers whether one more request fits, what remains, and how long until the next one would.
  const decide = (bucketKey: string, nowMs: number) => {
    if (algorithm === 'token-bucket') {
      const bucket = buckets.get(bucketKey) ?? { tokens: limit, at: nowMs };
      bucket.tokens = Math.min(limit, bucket.tokens + ((nowMs - bucket.at) * limit) / windowMs);
      bucket.at = nowMs;
      buckets.set(bucketKey, bucket);
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      const resetMs = bucket.tokens >= 1 ? 0 : ((1 - bucket.tokens) * windowMs) / limit;
      return { allowed, remaining: Math.floor(bucket.tokens), resetMs };
    }
    const start = Math.floor(nowMs / windowMs) * windowMs;
    const current = windows.get(bucketKey);
    const window = current && current.start === start ? current : { start, used: 0 };
    windows.set(bucketKey, window);
    const allowed = window.used < limit;
    if (allowed) window.used++;
    return { allowed, remaining: limit - window.used, resetMs: start + windowMs - nowMs };
  };

  const handler: RouteHandler = async (request, context) => {
    const nowMs = now();
    const { allowed, remaining, resetMs } = decide(key(request), nowMs);
    const extra = quotaHeaders(style, limit, remaining, resetMs, windowMs, nowMs);
    if (!allowed) {
      stats.refused++;
      return {
        status: 429,
        headers: { ...extra, ...(retryAfter && { 'retry-after': String(Math.max(1, Math.ceil(resetMs / 1000))) }) },
        json: { error: 'rate limited' },
      };
    }
    stats.allowed++;
    let answer: ResponseSpec | Response = Array.isArray(respond)
      ? (respond[Math.min(context.count, respond.length) - 1] ?? {})
      : typeof respond === 'function'
        ? await respond(request, context)
        : (respond as ResponseSpec);
    if (answer instanceof Response) {
      const response = answer;
      for (const [name, value] of Object.entries(extra)) response.headers.set(name, value);
      return response;
    }
    answer = { ...answer, headers: { ...extra, ...answer.headers } };
    return answer;
  };
  return Object.assign(handler, { stats });
}
