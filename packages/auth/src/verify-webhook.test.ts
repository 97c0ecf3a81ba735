import { createHmac } from 'node:crypto';
import { createFakeClock } from '@ferrule/core';
import { createTestServer } from '@ferrule/testing/vitest';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/helpers.ts';
import { type VerifyWebhookOptions, verifyWebhook } from './verify-webhook.ts';

const NOW = 1_700_000_000;
const clock = createFakeClock(NOW * 1000);
const hmacHex = (secret: string, data: string, algorithm = 'sha256') =>
  createHmac(algorithm, secret).update(data).digest('hex');
const stripeHeader = (secret: string, body: string, t = NOW) => `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;

describe('verifyWebhook, GitHub style', () => {
  // GitHub's documented example ("Validating webhook deliveries").
  const verify = verifyWebhook({ style: 'github', secret: "It's a Secret to Everybody" });
  const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("accepts GitHub's documented example, from Headers or from a plain header record", async () => {
    expect(await verify({ headers: new Headers({ 'X-Hub-Signature-256': signature }), body: 'Hello, World!' })).toEqual(
      { valid: true },
    );
    expect(
      await verify({
        headers: { 'x-hub-signature-256': [signature] },
        body: new TextEncoder().encode('Hello, World!'),
      }),
    ).toEqual({
      valid: true,
    });
  });

  it.each([
    ['a changed body', { 'x-hub-signature-256': signature }, 'Hello, World?', 'signature-mismatch'],
    ['no signature header', {}, 'Hello, World!', 'missing-signature'],
    ['no sha256= prefix', { 'x-hub-signature-256': signature.slice(7) }, 'Hello, World!', 'malformed-signature'],
    [
      'a truncated signature',
      { 'x-hub-signature-256': signature.slice(0, -2) },
      'Hello, World!',
      'malformed-signature',
    ],
  ])('refuses %s', async (_name, headers, body, reason) => {
    expect(await verify({ headers, body })).toEqual({ valid: false, reason });
  });
});

describe('verifyWebhook, Stripe style', () => {
  const secret = 'whsec_test_secret';
  const body = '{"id":"evt_1","type":"invoice.paid"}';
  const verify = verifyWebhook({ style: 'stripe', secret, clock });

  it('accepts a signed event and answers its timestamp', async () => {
    expect(await verify({ headers: { 'stripe-signature': stripeHeader(secret, body) }, body })).toEqual({
      valid: true,
      timestamp: NOW,
    });
  });

  it('accepts a timestamp exactly toleranceSeconds away, and refuses one a second further', async () => {
    for (const [t, valid] of [
      [NOW - 300, true],
      [NOW - 301, false],
      [NOW + 300, true],
      [NOW + 301, false],
    ] as const) {
      const result = await verify({ headers: { 'stripe-signature': stripeHeader(secret, body, t) }, body });
      expect(result).toEqual(
        valid ? { valid: true, timestamp: t } : { valid: false, reason: 'timestamp-out-of-tolerance' },
      );
    }
  });

  it('accepts any v1 signature that matches, as Stripe sends during a secret roll', async () => {
    const header = `t=${NOW},v1=${hmacHex('whsec_old', `${NOW}.${body}`)},v1=${hmacHex(secret, `${NOW}.${body}`)}`;
    expect((await verify({ headers: { 'stripe-signature': header }, body })).valid).toBe(true);
  });

  it('refuses a replayed signature on another body, and malformed headers', async () => {
    const header = stripeHeader(secret, body);
    expect(await verify({ headers: { 'stripe-signature': header }, body: '{"id":"evt_2"}' })).toEqual({
      valid: false,
      reason: 'signature-mismatch',
    });
    for (const malformed of [`v1=${hmacHex(secret, body)}`, `t=soon,v1=${hmacHex(secret, body)}`, `t=${NOW}`]) {
      expect(await verify({ headers: { 'stripe-signature': malformed }, body })).toEqual({
        valid: false,
        reason: 'malformed-signature',
      });
    }
  });
});

describe('verifyWebhook, generic HMAC profile', () => {
  it('accepts hex or base64, with or without a name= prefix, from any of several secrets', async () => {
    const verify = verifyWebhook({ secret: ['new-secret', 'old-secret'], header: 'x-shop-hmac' });
    const body = '{"order":1}';
    const bytes = createHmac('sha256', 'old-secret').update(body).digest();
    for (const value of [bytes.toString('hex'), bytes.toString('base64'), `sha256=${bytes.toString('hex')}`]) {
      expect(await verify({ headers: { 'x-shop-hmac': value }, body })).toEqual({ valid: true });
    }
    expect(await verify({ headers: { 'x-shop-hmac': hmacHex('third', body) }, body })).toEqual({
      valid: false,
      reason: 'signature-mismatch',
    });
  });

  it('signs <timestamp>.<body> with a timestamp header and enforces the tolerance', async () => {
    const verify = verifyWebhook({ secret: 's', timestampHeader: 'x-timestamp', toleranceSeconds: 60, clock });
    const body = 'payload';
    const headers = (t: number) => ({ 'x-timestamp': String(t), 'x-signature': hmacHex('s', `${t}.${body}`) });
    expect(await verify({ headers: headers(NOW - 60), body })).toEqual({ valid: true, timestamp: NOW - 60 });
    expect(await verify({ headers: headers(NOW - 61), body })).toEqual({
      valid: false,
      reason: 'timestamp-out-of-tolerance',
    });
    expect(await verify({ headers: { 'x-signature': hmacHex('s', body) }, body })).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('verifies a payload of your own, e.g. Slack v0:<timestamp>:<body> with SHA-256', async () => {
    const verify = verifyWebhook({
      secret: 'slack-secret',
      header: 'x-slack-signature',
      timestampHeader: 'x-slack-request-timestamp',
      payload: ({ body, timestamp }) => `v0:${timestamp}:${new TextDecoder().decode(body)}`,
      clock,
    });
    const body = 'token=x&team_id=T1';
    const headers = {
      'x-slack-request-timestamp': String(NOW),
      'x-slack-signature': `v0=${hmacHex('slack-secret', `v0:${NOW}:${body}`)}`,
    };
    expect(await verify({ headers, body })).toEqual({ valid: true, timestamp: NOW });
  });

  it('verifies SHA-512 signatures when asked', async () => {
    const verify = verifyWebhook({ secret: 's', algorithm: 'hmac-sha512' });
    expect(await verify({ headers: { 'x-signature': hmacHex('s', 'b', 'sha512') }, body: 'b' })).toEqual({
      valid: true,
    });
    expect(await verify({ headers: { 'x-signature': hmacHex('s', 'b') }, body: 'b' })).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('reads a Request without consuming its body', async () => {
    const verify = verifyWebhook({ secret: 's' });
    const request = new Request('https://hooks.example.com/in', {
      method: 'POST',
      headers: { 'x-signature': hmacHex('s', 'hi') },
      body: 'hi',
    });
    expect(await verify(request)).toEqual({ valid: true });
    expect(await request.text()).toBe('hi');
  });

  it('verifies webhooks a server receives over real HTTP', async () => {
    const verify = verifyWebhook({ style: 'stripe', secret: 'whsec_live', clock: createFakeClock(Date.now()) });
    const server = await createTestServer({
      'POST /hooks/stripe': async (request) => {
        const result = await verify(request);
        return result.valid ? { status: 204 } : { status: 400, json: result };
      },
    });
    const body = '{"id":"evt_9"}';
    const t = Math.floor(Date.now() / 1000);
    const good = await fetch(`${server.url}/hooks/stripe`, {
      method: 'POST',
      headers: { 'stripe-signature': stripeHeader('whsec_live', body, t) },
      body,
    });
    const forged = await fetch(`${server.url}/hooks/stripe`, {
      method: 'POST',
      headers: { 'stripe-signature': stripeHeader('guess', body, t) },
      body,
    });
    expect(good.status).toBe(204);
    expect([forged.status, await forged.json()]).toEqual([400, { valid: false, reason: 'signature-mismatch' }]);
  });

  it.each([
    [{ secret: '' }, 'verifyWebhook.secret'],
    [{ secret: [] }, 'verifyWebhook.secret'],
    [{ secret: 's', style: 'shopify' }, 'verifyWebhook.style'],
    [{ secret: 's', toleranceSeconds: -1 }, 'verifyWebhook.toleranceSeconds'],
    [{ secret: 's', header: 'x signature' }, 'verifyWebhook.header'],
  ])('refuses %j with a ConfigError naming %s', (options, option) => {
    const error = configErrorOf(() => verifyWebhook(options as VerifyWebhookOptions));
    expect(error?.option).toBe(option);
  });
});
