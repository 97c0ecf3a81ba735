import { isParseError } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import ky, { type HTTPError } from 'ky';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../test/caught.ts';
import { createClient, isJsonContentType, parseJson } from './index.ts';

const parseError = (promise: Promise<unknown>) => rejectionOf(promise, isParseError);

describe('createClient: JSON bodies', () => {
  it('throws a ParseError with status and content type on malformed JSON, never quoting the body', async () => {
    const server = await createTestServer({
      'GET /items': { body: '{"token":"secret-value", oops', headers: { 'content-type': 'application/json' } },
    });
    const error = await parseError(createClient({ baseUrl: server.url }).get('items?api_key=k3y').json());
    expect(error).toMatchObject({ status: 200, contentType: 'application/json', method: 'GET' });
    expect(error.url).toBe(`${server.url}/items?api_key=[REDACTED]`);
    expect(error.message).toMatch(/^Malformed JSON in the 200 response \(29 chars\)/);
    expect(`${error.message}${error.stack}${String(error.cause)}`).not.toMatch(/secret-value|k3y/);
  });

  it('throws a ParseError when the body is declared as something other than JSON', async () => {
    const server = await createTestServer({
      'GET /items': { body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html; charset=utf-8' } },
      'GET /down': { status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } },
    });
    const api = createClient({ baseUrl: server.url });
    const error = await parseError(api.get('items').json());
    expect(error.message).toMatch(/^Expected JSON, got text\/html in the 200 response/);
    expect(error.contentType).toBe('text/html; charset=utf-8');
    const down = await parseError(api.get('down', { throwHttpErrors: false }).json());
    expect(down.status).toBe(502);
  });

  it('throws a ParseError for an empty body, and gives undefined for 204, 205 and HEAD', async () => {
    const server = await createTestServer({
      'GET /empty': { status: 200, body: '' },
      'DELETE /items/1': { status: 204 },
      'POST /reset': { status: 205 },
      'HEAD /items': { json: [] },
    });
    const api = createClient({ baseUrl: server.url });
    expect((await parseError(api.get('empty').json())).message).toMatch(/^No JSON body in the 200 response/);
    expect(await api.delete('items/1').json()).toBeUndefined();
    expect(await api.post('reset').json()).toBeUndefined();
    expect(await api.head('items').json()).toBeUndefined();
  });

  it('parses every JSON media type, and a body without a Content-Type', async () => {
    const server = await createTestServer({
      'GET /problem': { status: 200, body: '{"title":"x"}', headers: { 'content-type': 'application/problem+json' } },
      'GET /bare': { body: '{"bare":true}' },
    });
    const api = createClient({ baseUrl: server.url });
    expect(await api.get('problem').json()).toEqual({ title: 'x' });
    expect(await api.get('bare').json()).toEqual({ bare: true });
  });

  it('checks `response.json()` the same way', async () => {
    const server = await createTestServer({
      'GET /items': { body: 'nope', headers: { 'content-type': 'text/plain' } },
    });
    const response = await createClient({ baseUrl: server.url }).get('items');
    expect((await parseError(response.json())).status).toBe(200);
  });

  it('still gives an HTTPError for a failed call with a malformed JSON body, without its data', async () => {
    const server = await createTestServer({
      'GET /items': { status: 500, body: '{oops', headers: { 'content-type': 'application/json' } },
    });
    const error = (await createClient({ baseUrl: server.url })
      .get('items')
      .json()
      .catch((caught) => caught)) as HTTPError;
    expect(error.name).toBe('HTTPError');
    expect(error.data).toBeUndefined();
  });

  it('parses with the parseJson given, turning its failures into ParseErrors too', async () => {
    const server = await createTestServer({ 'GET /items': { json: { at: '2026-01-02T00:00:00.000Z' } } });
    const api = createClient({
      baseUrl: server.url,
      parseJson: (text) => JSON.parse(text, (key, value) => (key === 'at' ? new Date(value) : value)),
    });
    expect(await api.get('items').json()).toEqual({ at: new Date('2026-01-02T00:00:00.000Z') });
    const strict = createClient({
      baseUrl: server.url,
      parseJson: () => {
        throw new SyntaxError('refused: secret-value');
      },
    });
    const error = await parseError(strict.get('items').json());
    expect(error.message).not.toContain('secret-value');
  });
});

describe('parseJson', () => {
  it('gives a ky instance of your own the same ParseErrors', async () => {
    const server = await createTestServer({
      'GET /items': { body: '<html>', headers: { 'content-type': 'text/html' } },
    });
    const error = await parseError(ky.create({ parseJson }).get(`${server.url}/items`).json());
    expect(error.contentType).toBe('text/html');
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['application/problem+json', true],
    ['application/vnd.api+json', true],
    ['text/json', true],
    ['application/x-json', true],
    ['text/html', false],
    ['text/plain', false],
    ['application/jsonp', false],
    ['application/json-seq-not', false],
    ['', false],
  ])('%s → %s', (contentType, expected) => {
    expect(isJsonContentType(contentType)).toBe(expected);
  });
});
