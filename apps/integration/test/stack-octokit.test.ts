import { bearer } from '@ferrule/auth';
import { cache } from '@ferrule/cache';
import { createFakeClock, createFetch, type FakeClock } from '@ferrule/core';
import { parseLinkHeader } from '@ferrule/pagination';
import { rateLimit } from '@ferrule/rate-limit';
import { resilience } from '@ferrule/resilience';
import { createTestServer, type ResponseSpec, type TestServer } from '@ferrule/testing/vitest';
import { request as octokitRequest } from '@octokit/request';
import { describe, expect, it } from 'vitest';
import { recommendedChain } from './support/chain.ts';
import { limiterProbe } from './support/held-by-limiter.ts';
import { type Observed, observe } from './support/observe.ts';

// Octokit's `request` on the whole stack, against a test server that answers as GitHub does:
// `x-ratelimit-*` with the reset in epoch seconds, ETags with `private, max-age=60`, Link pagination,
// and the secondary rate limit (403 with Retry-After). Octokit passes no init of ours, so everything
// is steered by route rules.
const TOKEN = 'ghp_integrationTokenNotReal0123456789';
const REPO = { id: 1, full_name: 'ferrule-dev/ferrule', stargazers_count: 42 };
const ISSUES = Array.from({ length: 5 }, (_, index) => ({ number: index + 1, title: `Issue ${index + 1}` }));

interface GitHub {
  server: TestServer;
  /** The quota left, as the server counts it; it answers 403 once it is spent. */
  quota: { limit: number; remaining: number; resetEpochSeconds: number };
}

// A GitHub-like API; `now` is the clock the test drives, `fault` may answer a request instead.
async function startGitHub(now: () => number, fault?: (url: string) => ResponseSpec | undefined): Promise<GitHub> {
  const quota = { limit: 5_000, remaining: 5_000, resetEpochSeconds: Math.ceil(now() / 1000) + 3_600 };
  const headers = (): Record<string, string> => ({
    'x-ratelimit-limit': String(quota.limit),
    'x-ratelimit-remaining': String(quota.remaining),
    'x-ratelimit-reset': String(quota.resetEpochSeconds),
    'x-ratelimit-used': String(quota.limit - quota.remaining),
    'x-ratelimit-resource': 'core',
  });
  // Counts a request against the quota (a 304 does not count, as on GitHub) and answers it.
  const counted =
    (answer: (request: { url: string; headers: Record<string, string> }) => ResponseSpec) =>
    (request: { url: string; headers: Record<string, string> }): ResponseSpec => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`)
        return { status: 401, json: { message: 'Bad credentials' } };
      const failed = fault?.(request.url);
      if (failed) return failed;
      if (now() >= quota.resetEpochSeconds * 1000) quota.remaining = quota.limit;
      if (quota.remaining === 0) {
        return { status: 403, headers: headers(), json: { message: 'API rate limit exceeded' } };
      }
      const spec = answer(request);
      if (spec.etag && request.headers['if-none-match'] === spec.etag) return { ...spec, headers: headers() };
      quota.remaining--;
      return { ...spec, headers: { ...headers(), ...spec.headers } };
    };
  const server = await createTestServer({
    'GET /repos/ferrule-dev/ferrule': counted(() => ({
      json: REPO,
      etag: '"repo-v1"',
      headers: { 'cache-control': 'private, max-age=60, s-maxage=60', vary: 'Accept, Authorization, Cookie' },
    })),
    'GET /repos/ferrule-dev/ferrule/issues': counted((request) => {
      const url = new URL(request.url, 'http://localhost');
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const last = Math.ceil(ISSUES.length / perPage);
      const link = (rel: string, target: number) =>
        `<${server.url}/repos/ferrule-dev/ferrule/issues?per_page=${perPage}&page=${target}>; rel="${rel}"`;
      const links = [page < last && link('next', page + 1), link('last', last)].filter(Boolean).join(', ');
      return { json: ISSUES.slice((page - 1) * perPage, page * perPage), headers: { link: links } };
    }),
  });
  return { server, quota };
}

function octokit(github: GitHub, clock?: FakeClock) {
  const probe = clock && limiterProbe(clock);
  const observed = observe({ routes: [{ match: 'GET /repos/*/*', name: '/repos/{owner}/{repo}' }] });
  const fetch = createFetch({
    use: recommendedChain({
      observability: observed.middlewares,
      cache: cache(),
      resilience: resilience({
        retry: { backoff: { initialDelayMs: 5 }, routes: [{ match: 'GET /repos/*/*/issues', maxAttempts: 4 }] },
      }),
      // Follow GitHub's quota to the last call, without spreading it out first.
      rateLimit: [...(probe ? [probe.middleware] : []), rateLimit({ adaptive: { slowBelow: 0 } })],
      auth: bearer(TOKEN),
    }),
    onEvent: observed.onEvent,
    ...(clock && { clock }),
  });
  const request = octokitRequest.defaults({
    baseUrl: github.server.url,
    headers: { 'user-agent': 'ferrule-integration' },
    request: { fetch },
  });
  return { request, observed, held: (count: number) => probe?.held(count) };
}

const statuses = (observed: Observed) => observed.eventsOf('response').map((event) => event.status);

describe('the full stack under Octokit’s request (createFetch as its fetch)', () => {
  it('revalidates with the ETag after max-age: GitHub’s 304 reaches Octokit as the stored 200', async () => {
    const clock = createFakeClock(Date.now());
    const github = await startGitHub(() => clock.now());
    const { request, observed } = octokit(github, clock);

    const first = await request('GET /repos/{owner}/{repo}', { owner: 'ferrule-dev', repo: 'ferrule' });
    const cached = await request('GET /repos/{owner}/{repo}', { owner: 'ferrule-dev', repo: 'ferrule' });
    await clock.advance(60_001);
    const revalidated = await request('GET /repos/{owner}/{repo}', { owner: 'ferrule-dev', repo: 'ferrule' });

    expect([first.status, cached.status, revalidated.status]).toEqual([200, 200, 200]);
    expect(revalidated.data).toEqual(REPO);
    expect(revalidated.headers.etag).toBe('"repo-v1"');
    expect(github.server.requests.map((each) => each.headers['if-none-match'])).toEqual([undefined, '"repo-v1"']);
    expect(statuses(observed)).toEqual([200, 304]);
    expect(github.quota.remaining).toBe(4_999);
    const lookups = observed.eventsOf('cache').filter((event) => event.status !== 'stored');
    expect(lookups.map((event) => event.status)).toEqual(['miss', 'hit', 'revalidated']);
  });

  it('stops when x-ratelimit-remaining reaches 0 and goes on at x-ratelimit-reset (epoch seconds), without a 403', async () => {
    // On a whole second, so that GitHub's reset in epoch seconds is exactly 5 s away.
    const clock = createFakeClock(Math.ceil(Date.now() / 1000) * 1000);
    const github = await startGitHub(() => clock.now());
    github.quota.remaining = 2;
    github.quota.resetEpochSeconds = clock.now() / 1000 + 5;
    const { request, observed, held } = octokit(github, clock);

    await request('GET /repos/{owner}/{repo}/issues', { owner: 'ferrule-dev', repo: 'ferrule', per_page: 1 });
    await request('GET /repos/{owner}/{repo}/issues', { owner: 'ferrule-dev', repo: 'ferrule', per_page: 2 });
    const third = request('GET /repos/{owner}/{repo}/issues', { owner: 'ferrule-dev', repo: 'ferrule', per_page: 3 });
    await held(3);
    await clock.advance(4_999);
    expect(github.server.requests).toHaveLength(2);
    await clock.advance(1);

    expect((await third).data).toEqual(ISSUES.slice(0, 3));
    expect(statuses(observed)).toEqual([200, 200, 200]);
    expect(observed.eventsOf('ratelimit').map((event) => [event.action, event.reason, event.waitMs])).toEqual([
      ['paused', 'quota-exhausted', 5_000],
      ['waited', undefined, 5_000],
    ]);
  });

  it('holds every call back after a secondary rate limit (403 with Retry-After) until it ends', async () => {
    const clock = createFakeClock(Date.now());
    const github = await startGitHub(() => clock.now());
    github.server.route('POST /repos/ferrule-dev/ferrule/issues', {
      status: 403,
      headers: { 'retry-after': '60' },
      json: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    const { request, held } = octokit(github, clock);

    const refused = await request('POST /repos/{owner}/{repo}/issues', {
      owner: 'ferrule-dev',
      repo: 'ferrule',
      title: 'Too fast',
    }).catch((caught: unknown) => caught);
    expect(refused).toMatchObject({ name: 'HttpError', status: 403 });

    const next = request('GET /repos/{owner}/{repo}', { owner: 'ferrule-dev', repo: 'ferrule' });
    await held(2);
    await clock.advance(59_999);
    expect(github.server.requests).toHaveLength(1);
    await clock.advance(1);
    expect((await next).data).toEqual(REPO);
    expect(github.server.requests).toHaveLength(2);
  });

  it('walks Link pagination through Octokit, a route rule giving the issues four attempts', async () => {
    // Page 2 fails three times: more than the default three attempts would survive.
    let failures = 0;
    const github = await startGitHub(Date.now, (url) =>
      /[?&]page=2\b/.test(url) && failures++ < 3 ? { status: 502 } : undefined,
    );
    const { request, observed } = octokit(github);

    const titles: string[] = [];
    let url: string | undefined = `${github.server.url}/repos/ferrule-dev/ferrule/issues?per_page=2`;
    while (url) {
      const page: { data: unknown; headers: { link?: string } } = await request(`GET ${url}`);
      titles.push(...(page.data as { title: string }[]).map((issue) => issue.title));
      url = parseLinkHeader(page.headers.link ?? '')?.find((link) => link.rel.includes('next'))?.href;
    }

    expect(titles).toEqual(ISSUES.map((issue) => issue.title));
    expect(github.server.requests.map((each) => each.url.slice(each.url.indexOf('?')))).toEqual([
      '?per_page=2',
      ...Array.from({ length: 4 }, () => '?per_page=2&page=2'),
      '?per_page=2&page=3',
    ]);
    expect(observed.eventsOf('retry').map((event) => event.status)).toEqual([502, 502, 502]);
  });
});
