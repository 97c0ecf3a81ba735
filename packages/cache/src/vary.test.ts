import { createTestServer, type RecordedRequest, type ResponseSpec } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { client } from './cache.test-helper.ts';
import { cacheStatus } from './stored-response.ts';

// Answers in the language asked for, varying on the fields `vary` names. (A custom field: fetch itself
// adds Accept-Language: * upstream when a request has none.)
const negotiated =
  (vary: string) =>
  (request: RecordedRequest): ResponseSpec => ({
    body: `${request.headers['x-language'] ?? 'default'}/${request.headers['x-variant'] ?? '-'}`,
    headers: { 'cache-control': 'max-age=600', vary },
  });

describe('Vary (RFC 9111 §4.1)', () => {
  it('keeps several variants of one URL and serves each only to matching requests', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /greeting': negotiated('X-Language') });
    const get = async (language?: string) => {
      const response = await fetch(`${server.url}/greeting`, language ? { headers: { 'x-language': language } } : {});
      return [cacheStatus(response), await response.text()];
    };
    expect(await get('en')).toEqual(['miss', 'en/-']);
    await stored(1);
    expect(await get('de')).toEqual(['miss', 'de/-']);
    await stored(2);
    expect(await get()).toEqual(['miss', 'default/-']);
    await stored(3);
    expect(await get('en')).toEqual(['hit', 'en/-']);
    expect(await get('de')).toEqual(['hit', 'de/-']);
    expect(await get()).toEqual(['hit', 'default/-']);
    expect(server.requests).toHaveLength(3);
  });

  it('tells an absent field from an empty one and ignores fields Vary does not name', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /greeting': negotiated('x-variant') });
    await (await fetch(`${server.url}/greeting`, { headers: { 'x-variant': '' } })).text();
    await stored();
    expect(cacheStatus(await fetch(`${server.url}/greeting`))).toBe('miss');
    await stored(2);
    const other = await fetch(`${server.url}/greeting`, { headers: { 'x-language': 'fr' } });
    expect([cacheStatus(other), await other.text()]).toEqual(['hit', 'default/-']);
  });

  it('matches on several fields, whatever the order or case of their names', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /greeting': negotiated('X-Variant, x-language') });
    const headers = { 'x-language': 'en', 'x-variant': 'b' };
    await (await fetch(`${server.url}/greeting`, { headers })).text();
    await stored();
    expect(cacheStatus(await fetch(`${server.url}/greeting`, { headers }))).toBe('hit');
    expect(cacheStatus(await fetch(`${server.url}/greeting`, { headers: { ...headers, 'x-variant': 'c' } }))).toBe(
      'miss',
    );
  });

  it('normalises the whitespace around list commas of selecting fields', async () => {
    const { fetch, stored } = client();
    const server = await createTestServer({ 'GET /greeting': negotiated('x-variant') });
    await (await fetch(`${server.url}/greeting`, { headers: { 'x-variant': '1,2' } })).text();
    await stored();
    expect(cacheStatus(await fetch(`${server.url}/greeting`, { headers: { 'x-variant': ' 1 ,  2 ' } }))).toBe('hit');
  });

  it('never stores a response with Vary: * or a field name that is no token', async () => {
    const { fetch, statuses } = client();
    const server = await createTestServer({
      'GET /star': negotiated('x-language, *'),
      'GET /broken': negotiated('x language'),
    });
    for (const path of ['/star', '/star', '/broken', '/broken']) await (await fetch(`${server.url}${path}`)).text();
    expect(server.requests).toHaveLength(4);
    expect(statuses()).toEqual(['miss', 'miss', 'miss', 'miss']);
  });
});
