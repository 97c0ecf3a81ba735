import { describe, expect, it } from 'vitest';
import { compileRoutes, matchRoute } from './route.ts';

const request = (url: string, method = 'GET') => new Request(url, { method });

describe('matchRoute', () => {
  it.each([
    ['GET /products/*', 'GET', 'https://shop.test/products/42', true],
    ['GET /products/*', 'GET', 'https://shop.test/products/42?fields=name', true],
    ['GET /products/*', 'POST', 'https://shop.test/products/42', false],
    ['GET /products/*', 'GET', 'https://shop.test/products/42/reviews', false],
    ['/products/**', 'DELETE', 'https://shop.test/products/42/reviews', true],
    ['GET,HEAD /items/:id', 'HEAD', 'https://api.test/items/abc', true],
    ['GET,HEAD /items/:id', 'GET', 'https://api.test/items/', false],
    ['* /health', 'OPTIONS', 'http://127.0.0.1:8080/health', true],
    ['GET https://api.test/v1/*', 'GET', 'https://api.test/v1/users', true],
    ['GET https://api.test/v1/*', 'GET', 'https://other.test/v1/users', false],
    ['GET HTTPS://API.TEST/v1/*', 'GET', 'https://api.test/v1/users', true],
    ['GET /Products/*', 'GET', 'https://shop.test/products/1', false],
    ['GET /a.b/*', 'GET', 'https://shop.test/aXb/1', false],
  ])('%s matches %s %s: %s', (pattern, method, url, expected) => {
    expect(matchRoute(pattern)(request(url, method))).toBe(expected);
  });

  it('takes a predicate as it is', () => {
    expect(matchRoute((candidate) => candidate.url.endsWith('/x'))(request('https://a.test/x'))).toBe(true);
  });

  it('rejects a pattern it cannot read', () => {
    expect(() => matchRoute('GET /a /b')).toThrow(/Invalid route pattern/);
  });
});

describe('compileRoutes', () => {
  it('finds the first rule that applies, or none', () => {
    const ruleFor = compileRoutes([
      { match: 'GET /products/special', ttlMs: 1 },
      { match: 'GET /products/*', ttlMs: 60_000 },
    ]);
    expect(ruleFor(request('https://shop.test/products/special'))?.ttlMs).toBe(1);
    expect(ruleFor(request('https://shop.test/products/7'))?.ttlMs).toBe(60_000);
    expect(ruleFor(request('https://shop.test/cart'))).toBeUndefined();
    expect(compileRoutes()(request('https://shop.test/cart'))).toBeUndefined();
  });
});
