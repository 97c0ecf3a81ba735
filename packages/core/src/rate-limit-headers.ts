import { parseHttpDate } from './http-date.ts';
import { parseStructuredDictionary, parseStructuredList, type StructuredItem } from './structured-field.ts';

/** What a response said about the client's remaining quota, whatever header family it used. */
export interface RateLimitInfo {
  /** Quota units still available now. */
  remaining: number;
  /** Milliseconds until the quota is restored, when the server said. */
  resetMs?: number;
  /** The quota of the window, when known. */
  limit?: number;
  /** The length of the policy's window in milliseconds, when known. */
  windowMs?: number;
  /** The policy name (IETF drafts 8 and later). */
  policy?: string;
  /**
   * Which header family it came from: `ietf` (`RateLimit`, drafts 7–11), `ietf-legacy`
   * (`RateLimit-Limit/-Remaining/-Reset`, drafts up to 6) or `x-ratelimit` (`X-RateLimit-*`).
   */
  source: 'ietf' | 'ietf-legacy' | 'x-ratelimit';
}

/** A quota policy advertised in `RateLimit-Policy`. */
export interface RateLimitPolicyInfo {
  name?: string;
  quota: number;
  windowMs?: number;
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;

const seconds = (value: unknown): number | undefined => {
  const parsed = count(value);
  return parsed === undefined ? undefined : parsed * 1000;
};

/**
 * The policies of a `RateLimit-Policy` header: `100;w=60` (draft 7) or `"default";q=100;w=60`
 * (drafts 8–11). Malformed fields give `[]` (the drafts say to ignore them).
 * @example
 * parseRateLimitPolicy(new Headers({ 'ratelimit-policy': '"burst";q=100;w=60' }));
 * // [{ name: 'burst', quota: 100, windowMs: 60000 }]
 */
export function parseRateLimitPolicy(headers: Headers): RateLimitPolicyInfo[] {
  const field = headers.get('ratelimit-policy');
  const items = field ? parseStructuredList(field) : undefined;
  const policies: RateLimitPolicyInfo[] = [];
  for (const { value, params } of items ?? []) {
    const named = typeof value === 'string';
    const quota = count(named ? params.q : value);
    if (quota === undefined) continue;
    const windowMs = seconds(params.w);
    policies.push({
      ...(named && { name: value }),
      quota,
      ...(windowMs !== undefined && { windowMs }),
    });
  }
  return policies;
}

const pick = (infos: RateLimitInfo[]): RateLimitInfo | undefined =>
  // The limit closest to exhaustion governs: least remaining, then the longest reset.
  infos.sort((a, b) => a.remaining - b.remaining || (b.resetMs ?? 0) - (a.resetMs ?? 0))[0];

function parseIetf(field: string, policies: RateLimitPolicyInfo[]): RateLimitInfo | undefined {
  // Draft 7: a Dictionary `limit=100, remaining=50, reset=5`.
  const dictionary = parseStructuredDictionary(field);
  if (dictionary?.has('remaining') || dictionary?.has('reset')) {
    const remaining = count(dictionary.get('remaining')?.value);
    const limit = count(dictionary.get('limit')?.value);
    const resetMs = seconds(dictionary.get('reset')?.value);
    // Without a valid `remaining` there is nothing to act on; a malformed field is ignored (§5).
    if (remaining === undefined) return undefined;
    const windowMs = policies.find((policy) => policy.quota === limit)?.windowMs;
    return {
      remaining,
      ...(resetMs !== undefined && { resetMs }),
      ...(limit !== undefined && { limit }),
      ...(windowMs !== undefined && { windowMs }),
      source: 'ietf',
    };
  }
  // Drafts 8–11: a List `"default";r=50;t=30`, one item per policy.
  const infos: RateLimitInfo[] = [];
  for (const { value, params } of parseStructuredList(field) ?? ([] as StructuredItem[])) {
    const remaining = count(params.r);
    if (remaining === undefined || typeof value !== 'string') continue;
    const resetMs = seconds(params.t);
    const policy = policies.find((candidate) => candidate.name === value);
    infos.push({
      remaining,
      ...(resetMs !== undefined && { resetMs }),
      ...(policy && { limit: policy.quota }),
      ...(policy?.windowMs !== undefined && { windowMs: policy.windowMs }),
      policy: value,
      source: 'ietf',
    });
  }
  return pick(infos);
}

const firstInteger = (field: string | null) => {
  const match = field && /^\s*(\d+)/.exec(field);
  return match ? Number(match[1]) : undefined;
};

// "6m0s", "1.5s", "20ms", "1h2m": the durations OpenAI sends in x-ratelimit-reset-*.
const parseDuration = (text: string): number | undefined => {
  if (!/^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/.test(text)) return undefined;
  const scale: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(amount) * (scale[unit as string] as number);
  }
  return Math.ceil(total);
};

/**
 * Reads an `X-RateLimit-Reset`-style value as a delay in milliseconds. Numbers are told apart by
 * size: ≥ 10¹² is epoch milliseconds, ≥ 10⁹ is epoch seconds (GitHub, Twitter), anything smaller is
 * delta seconds (Discord's `-Reset-After`, many others). Durations (`6m0s`) and HTTP-dates work too.
 */
export function parseResetValue(value: string | null, nowMs = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const number = Number(text);
    if (number >= 1e12) return Math.max(0, Math.ceil(number - nowMs));
    if (number >= 1e9) return Math.max(0, Math.ceil(number * 1000 - nowMs));
    return Math.ceil(number * 1000);
  }
  const duration = parseDuration(text);
  if (duration !== undefined) return duration;
  const date = parseHttpDate(text, nowMs);
  return date === undefined ? undefined : Math.max(0, date - nowMs);
}

function parseXRateLimit(headers: Headers, nowMs: number): RateLimitInfo | undefined {
  for (const prefix of ['x-ratelimit-', 'x-rate-limit-']) {
    for (const suffix of ['', '-requests']) {
      const remaining = firstInteger(headers.get(`${prefix}remaining${suffix}`));
      if (remaining === undefined) continue;
      const limit = firstInteger(headers.get(`${prefix}limit${suffix}`));
      const resetMs =
        parseResetValue(headers.get(`${prefix}reset-after${suffix}`), nowMs) ??
        parseResetValue(headers.get(`${prefix}reset${suffix}`), nowMs);
      return {
        remaining,
        ...(resetMs !== undefined && { resetMs }),
        ...(limit !== undefined && { limit }),
        source: 'x-ratelimit',
      };
    }
  }
  return undefined;
}

// Most responses carry no rate-limit field: one pass over the names (~0.2 µs) spares eight lookups.
const hasRateLimitField = (headers: Headers) => {
  for (const name of headers.keys()) if (name.includes('ratelimit') || name.includes('rate-limit')) return true;
  return false;
};

/**
 * What a response says about the client's rate limit, from whichever family of headers it sent:
 * IETF `RateLimit` + `RateLimit-Policy` (drafts 7–11), the older `RateLimit-Limit/-Remaining/-Reset`
 * fields, or `X-RateLimit-*` (`X-Rate-Limit-*`, OpenAI's `-requests` suffix). Malformed fields are
 * ignored, as the drafts require; `undefined` when nothing usable was sent.
 * @example
 * parseRateLimitHeaders(new Headers({ ratelimit: '"default";r=0;t=30' }));
 * // { remaining: 0, resetMs: 30000, policy: 'default', source: 'ietf' }
 */
export function parseRateLimitHeaders(headers: Headers, nowMs = Date.now()): RateLimitInfo | undefined {
  if (!hasRateLimitField(headers)) return undefined;
  const field = headers.get('ratelimit');
  const ietf = field ? parseIetf(field, parseRateLimitPolicy(headers)) : undefined;
  if (ietf) return ietf;
  const remaining = firstInteger(headers.get('ratelimit-remaining'));
  if (remaining !== undefined) {
    const limit = firstInteger(headers.get('ratelimit-limit'));
    const resetMs = parseResetValue(headers.get('ratelimit-reset'), nowMs);
    return {
      remaining,
      ...(resetMs !== undefined && { resetMs }),
      ...(limit !== undefined && { limit }),
      source: 'ietf-legacy',
    };
  }
  return parseXRateLimit(headers, nowMs);
}
