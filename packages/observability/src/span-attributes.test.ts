import { describe, expect, it } from 'vitest';
import { eventAttributes, fullUrl, outcome, startAttributes } from './span-attributes.ts';

describe('startAttributes', () => {
  it.each([
    ['https://api.example.test/x', 'api.example.test', 443],
    ['http://api.example.test/x', 'api.example.test', 80],
    ['https://api.example.test:8443/x?q=1', 'api.example.test', 8443],
    ['http://[::1]:3000/x', '::1', 3000],
    ['https://[2001:db8::1]/x', '2001:db8::1', 443],
  ])('reads server.address and server.port of %s', (url, address, port) => {
    const attributes = startAttributes(new Request(url), url, undefined);
    expect(attributes['server.address']).toBe(address);
    expect(attributes['server.port']).toBe(port);
  });

  it('adds url.template only when the route is known', () => {
    const url = 'https://a.test/users/1';
    expect(startAttributes(new Request(url), url, '/users/:id')['url.template']).toBe('/users/:id');
    expect(startAttributes(new Request(url), url, undefined)).not.toHaveProperty('url.template');
  });
});

describe('fullUrl', () => {
  it('replaces sensitive query values with REDACTED, keeping the keys', () => {
    expect(fullUrl(['tenant'])('https://a.test/?q=otel&sig=abc&tenant=x')).toBe(
      'https://a.test/?q=otel&sig=REDACTED&tenant=REDACTED',
    );
  });
});

describe('outcome', () => {
  it.each([
    [200, undefined, { 'http.response.status_code': 200 }],
    [404, undefined, { 'http.response.status_code': 404, 'error.type': '404' }],
    [undefined, 'ECONNRESET', { 'error.type': 'ECONNRESET' }],
    [200, 'PARSE', { 'http.response.status_code': 200, 'error.type': 'PARSE' }],
  ])('gives status %s with error %s the attributes %o', (status, errorType, expected) => {
    expect(outcome(status, errorType)).toEqual(expected);
  });
});

describe('eventAttributes', () => {
  it('namespaces fields by event type in snake case', () => {
    expect(eventAttributes({ type: 'hedge', action: 'started', hedge: 2, delayMs: 50 }, [])).toEqual({
      'ferrule.hedge.action': 'started',
      'ferrule.hedge.hedge': 2,
      'ferrule.hedge.delay_ms': 50,
    });
  });
});
