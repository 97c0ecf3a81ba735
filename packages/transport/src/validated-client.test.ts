import { isConfigError, isValidationError, type StandardSchemaV1 } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { rejectionOf } from '../test/caught.ts';
import { createClient, MAX_ISSUES, validateResponse } from './index.ts';

const Product = v.object({
  id: v.number(),
  name: v.string(),
  price: v.object({ amount: v.pipe(v.number(), v.integer()), currency: v.picklist(['EUR', 'USD']) }),
  updatedAt: v.pipe(
    v.string(),
    v.isoTimestamp(),
    v.transform((value) => new Date(value)),
  ),
});

const validationError = (promise: Promise<unknown>) => rejectionOf(promise, isValidationError);

describe('createClient: .json(schema)', () => {
  const product = {
    id: 4711,
    name: 'Brass ferrule',
    price: { amount: 1299, currency: 'EUR' },
    updatedAt: '2026-11-21T12:00:00.000Z',
  };

  it("validates with a valibot schema and returns the schema's output", async () => {
    const server = await createTestServer({ 'GET /products/4711': { json: product } });
    const api = createClient({ baseUrl: `${server.url}/` });
    const result = await api.get('products/4711').json(Product);
    expect(result).toEqual({ ...product, updatedAt: new Date('2026-11-21T12:00:00.000Z') });
    expect(server.requests[0]?.headers.accept).toBe('application/json');
  });

  it('throws a ValidationError with the issue paths, the method and the redacted URL, never the body', async () => {
    const wrong = { ...product, name: 'secret-name', price: { amount: 'secret-amount', currency: 'GBP' } };
    const server = await createTestServer({ 'POST /products': { json: wrong } });
    const api = createClient({ baseUrl: server.url });
    const error = await validationError(api.post('products?token=t0ken', { json: {} }).json(Product));
    expect(error.issues.map((issue) => issue.path)).toEqual(['price.amount', 'price.currency']);
    expect(error).toMatchObject({ method: 'POST', url: `${server.url}/products?token=[REDACTED]` });
    expect(error.message).toMatch(
      /^Response failed validation: price\.amount: Invalid type: Expected number \(\+1 more\)/,
    );
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toMatch(/secret|GBP|t0ken/);
  });

  it(`keeps at most ${MAX_ISSUES} issues, each message at most 200 characters`, async () => {
    const server = await createTestServer({
      'GET /ids': { json: Array.from({ length: 100 }, (_, index) => `${index}`) },
    });
    const long = v.array(v.number('x'.repeat(500)));
    const error = await validationError(createClient({ baseUrl: server.url }).get('ids').json(long));
    expect(error.issues).toHaveLength(MAX_ISSUES);
    expect(error.issues[19]?.path).toBe('19');
    expect(error.issues.every((issue) => issue.message.length === 200)).toBe(true);
  });

  it('takes any Standard Schema, an asynchronous one too', async () => {
    const server = await createTestServer({ 'GET /count': { json: { count: 3 } } });
    const Count: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: async (value) => {
          const count = (value as { count?: unknown }).count;
          return typeof count === 'number' ? { value: count } : { issues: [{ message: 'no count', path: ['count'] }] };
        },
      },
    };
    const api = createClient({ baseUrl: server.url });
    expect(await api.get('count').json(Count)).toBe(3);
    server.route('GET /count', { json: {} });
    expect((await validationError(api.get('count').json(Count))).issues).toEqual([
      { path: 'count', message: 'no count' },
    ]);
  });

  it('reads the body as JSON first: a ParseError comes before any validation', async () => {
    const server = await createTestServer({
      'GET /items': { body: '<html>', headers: { 'content-type': 'text/html' } },
    });
    const error = await createClient({ baseUrl: server.url })
      .get('items')
      .json(Product)
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('ParseError');
  });

  it('names the call even when a call brings its own parseJson', async () => {
    const server = await createTestServer({ 'PATCH /products/1': { json: { id: 'x' } } });
    const api = createClient({ baseUrl: server.url });
    const call = api.patch('products/1', { json: {}, parseJson: (text) => JSON.parse(text) }).json(Product);
    const error = await validationError(call);
    expect(error).toMatchObject({ method: 'PATCH', url: `${server.url}/products/1` });
  });

  it('validates in instances made with extend() and through the callable instance', async () => {
    const server = await createTestServer({ 'GET /products/1': { json: { id: 'x' } } });
    const api = createClient({ baseUrl: `${server.url}/` }).extend({ headers: { 'x-a': 'b' } });
    expect((await validationError(api('products/1').json(Product))).method).toBe('GET');
    const viaRequest = api(new Request(`${server.url}/products/1`, { method: 'GET' })).json(Product);
    expect((await validationError(viaRequest)).url).toBe(`${server.url}/products/1`);
  });
});

describe('createClient: types', () => {
  it("types `.json(schema)` as the schema's output and the per-call transport options", async () => {
    const server = await createTestServer({ 'GET /users/1': { json: { id: 1, joinedAt: '2026-01-02' } } });
    const api = createClient({ baseUrl: `${server.url}/` });
    const User = v.object({
      id: v.number(),
      joinedAt: v.pipe(
        v.string(),
        v.transform((value) => new Date(value)),
      ),
    });
    const user = await api.get('users/1').json(User);
    expectTypeOf(user).toEqualTypeOf<{ id: number; joinedAt: Date }>();
    expect(user.joinedAt).toBeInstanceOf(Date);
    expectTypeOf(await api.get('users/1').json()).toBeUnknown();
    expectTypeOf(await api.get('users/1').json<{ id: number }>()).toEqualTypeOf<{ id: number }>();
    // @ts-expect-error maxBodyBytes is a number of bytes
    const wrong = api.get('users/1', { ferrule: { transport: { maxBodyBytes: '1kB' } } });
    expect((await rejectionOf(wrong, isConfigError)).option).toBe('transport.maxBodyBytes');
  });
});

describe('validateResponse', () => {
  it('validates any parsed data and names the call in its error', async () => {
    const request = { method: 'GET', url: 'https://api.example.com/items?api_key=secret' };
    expect(await validateResponse(v.number(), 1, request)).toBe(1);
    const error = await validationError(validateResponse(v.number(), 'one', request));
    expect(error.url).toBe('https://api.example.com/items?api_key=[REDACTED]');
  });
});
