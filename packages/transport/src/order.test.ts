import { type Context, isConfigError, type Middleware, type Next } from '@ferrule/core';
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../test/caught.ts';
import { assemble, clientOrder, type Slot, type Slots } from './order.ts';

// Stand-ins for the concern packages: each records its name on the way in.
const named = (name: string, seen: string[]): Middleware =>
  async function stand_in(request, context, next) {
    seen.push(name);
    return next(request, context);
  };

const run = async (chain: Middleware[]) => {
  const terminal: Next = async () => new Response('ok');
  const next = chain.reduceRight<Next>(
    (inner, middleware) => (request, context) => middleware(request, context, inner),
    terminal,
  );
  await next(new Request('http://127.0.0.1/'), {} as Context);
};

const configError = (build: () => unknown) => thrownBy(build, isConfigError);

describe('assemble', () => {
  it('puts the slots given in the recommended order, whatever order the options list them in', async () => {
    const seen: string[] = [];
    const slots: Slots = {
      auth: named('auth', seen),
      rateLimit: named('rateLimit', seen),
      cache: named('cache', seen),
      observability: named('observability', seen),
      resilience: named('resilience', seen),
    };
    await run(assemble(slots));
    expect(seen).toEqual(['observability', 'cache', 'resilience', 'rateLimit', 'auth']);
    expect(clientOrder).toEqual(seen);
  });

  it('keeps the order within a slot given as an array, and leaves out the slots not given', async () => {
    const seen: string[] = [];
    await run(assemble({ observability: [named('logging', seen), named('metrics', seen)], auth: named('auth', seen) }));
    expect(seen).toEqual(['logging', 'metrics', 'auth']);
  });

  it('takes `use` as the whole order, slot names standing for their middlewares', async () => {
    const seen: string[] = [];
    const slots: Slots = { cache: named('cache', seen), auth: [named('sign', seen), named('token', seen)] };
    await run(assemble(slots, [named('first', seen), 'auth', named('middle', seen), 'cache']));
    expect(seen).toEqual(['first', 'sign', 'token', 'middle', 'cache']);
  });

  it('takes plain middlewares in `use` when no slot is given', async () => {
    const seen: string[] = [];
    await run(assemble({}, [named('b', seen), named('a', seen)]));
    expect(seen).toEqual(['b', 'a']);
  });

  it('refuses a slot given next to `use` but not placed in it', () => {
    const error = configError(() => assemble({ cache: named('cache', []) }, [named('x', [])]));
    expect(error.option).toBe('createClient.use');
    expect(error.message).toContain("'cache' in it");
  });

  it('refuses a slot placed twice, and a slot placed but not given', () => {
    const twice = configError(() => assemble({ cache: named('cache', []) }, ['cache', 'cache']));
    expect(twice.option).toBe('createClient.use.1');
    const missing = configError(() => assemble({}, ['auth' as Slot]));
    expect(missing.option).toBe('createClient.auth');
  });
});
