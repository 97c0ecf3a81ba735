import { type Clock, systemClock, validateOptions } from '@ferrule/core';
import {
  array,
  function as fn,
  looseObject,
  minLength,
  minValue,
  number,
  optional,
  picklist,
  pipe,
  strictObject,
  string,
  union,
} from 'valibot';
import { headerName } from './credentialed.ts';
import { fromBase64, hmacKey, utf8 } from './encoding.ts';

/**
 * How the sender signs: GitHub (`X-Hub-Signature-256: sha256=<hex>` over the body), Stripe
 * (`Stripe-Signature: t=<seconds>,v1=<hex>` over `<t>.<body>`), or a generic HMAC in a header of your
 * choice (hex or base64, an optional `name=` prefix, an optional timestamp header).
 */
export type WebhookStyle = 'github' | 'stripe' | 'hmac';

/** Why a webhook was refused. */
export type WebhookFailure =
  | 'missing-signature'
  | 'malformed-signature'
  | 'timestamp-out-of-tolerance'
  | 'signature-mismatch';

/** The result of a verification: use the body only when `valid`. */
export type WebhookVerification =
  | { valid: true /** The signed timestamp (epoch seconds), when the style has one. */; timestamp?: number }
  | { valid: false; reason: WebhookFailure };

/** A received webhook: a `Request`, or the headers and raw body your server framework gives you. */
export type WebhookMessage =
  | Request
  | {
      headers: Headers | Record<string, string | readonly string[] | undefined>;
      body: string | Uint8Array | ArrayBuffer;
    };

/** What a generic profile's `payload` gets to build the signed bytes from. */
export interface WebhookPayloadInput {
  /** The raw body, byte for byte. */
  body: Uint8Array;
  /** The signed timestamp (epoch seconds, as sent), when the style has one. */
  timestamp: string | undefined;
  /** Reads a header of the delivery. */
  header(name: string): string | null;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The signing secret; several while you rotate it (any one may match). */
  secret: string | readonly string[];
  /** @default 'hmac' */
  style?: WebhookStyle;
  /** The signature header. @default 'x-hub-signature-256' (github), 'stripe-signature' (stripe), 'x-signature' (hmac) */
  header?: string;
  /** Generic profile: the header with the timestamp (epoch seconds) that is checked and signed. */
  timestampHeader?: string;
  /** How far a signed timestamp may be from now, either way: older deliveries are replays. @default 300 */
  toleranceSeconds?: number;
  /** Generic profile: @default 'hmac-sha256' */
  algorithm?: 'hmac-sha256' | 'hmac-sha512';
  /** Generic profile: the signed bytes. @default the body, or `<timestamp>.<body>` with a timestamp header */
  payload?: (input: WebhookPayloadInput) => string | Uint8Array<ArrayBuffer>;
  /** @default systemClock */
  clock?: Clock;
}

const VerifyWebhookSchema = () =>
  strictObject({
    secret: union(
      [pipe(string(), minLength(1)), pipe(array(pipe(string(), minLength(1))), minLength(1))],
      'a secret or a list of secrets',
    ),
    style: optional(picklist(['github', 'stripe', 'hmac'])),
    header: optional(headerName()),
    timestampHeader: optional(headerName()),
    toleranceSeconds: optional(pipe(number(), minValue(0))),
    algorithm: optional(picklist(['hmac-sha256', 'hmac-sha512'])),
    payload: optional(fn()),
    clock: optional(looseObject({ now: fn() })),
  });

const HEADERS = { github: 'x-hub-signature-256', stripe: 'stripe-signature', hmac: 'x-signature' };

// Hex when it is hex of the right length, else base64; undefined when it is neither.
const decodeSignature = (text: string, length: number) => {
  if (text.length === length * 2 && /^[\da-f]+$/i.test(text)) {
    return Uint8Array.from(text.match(/../g) as string[], (pair) => Number.parseInt(pair, 16));
  }
  try {
    return fromBase64(text);
  } catch {
    return undefined;
  }
};

type Read = (name: string) => string | null;

// Whether any signature is the HMAC of `signed` under any key: undefined when one is, else why not.
async function check(signatures: string[], keys: CryptoKey[], signed: Uint8Array<ArrayBuffer>, length: number) {
  let outcome: WebhookFailure = 'malformed-signature';
  for (const signature of signatures) {
    const bytes = decodeSignature(signature, length);
    if (bytes?.length !== length) continue;
    outcome = 'signature-mismatch';
    for (const key of keys) if (await crypto.subtle.verify('HMAC', key, bytes, signed)) return undefined;
  }
  return outcome;
}

// The header value of a plain record (Node's IncomingHttpHeaders) or of Headers.
const reader =
  (headers: Exclude<WebhookMessage, Request>['headers']): Read =>
  (name) => {
    if (headers instanceof Headers) return headers.get(name);
    const value = headers[name.toLowerCase()];
    return typeof value === 'string' ? value : (value?.[0] ?? null);
  };

// The signatures a delivery carries and the timestamp they cover, or why it has none.
function parseSignature(style: WebhookStyle, value: string, timestamp: string | null | undefined) {
  if (style === 'stripe') {
    const fields = value.split(',').map((part) => part.trim().split('='));
    const signed = fields.find(([name]) => name === 't')?.[1];
    const signatures = fields.filter(([name]) => name === 'v1').map(([, signature = '']) => signature);
    return signed === undefined ? undefined : { signatures, timestamp: signed };
  }
  if (style === 'github' && !value.startsWith('sha256=')) return undefined;
  // A `name=` prefix (`sha256=`, `v0=`) goes; base64 padding stays.
  return { signatures: [value.replace(/^[\w-]+=(?!=*$)/, '')], timestamp: timestamp === null ? '' : timestamp };
}

/**
 * Makes a verifier for signed webhooks that your server receives. It compares signatures with Web
 * Crypto's `verify` (constant time), refuses a timestamp further than `toleranceSeconds` from now
 * (replays), accepts any of several secrets during a rotation, and answers a result instead of
 * throwing: `{ valid: true }` or `{ valid: false, reason }`.
 * @example
 * const verify = verifyWebhook({ style: 'stripe', secret: process.env.STRIPE_WEBHOOK_SECRET ?? '' });
 * const result = await verify(request);
 * if (!result.valid) return new Response(result.reason, { status: 400 });
 */
export function verifyWebhook(
  options: VerifyWebhookOptions,
): (message: WebhookMessage) => Promise<WebhookVerification> {
  validateOptions(VerifyWebhookSchema(), options, 'verifyWebhook');
  const {
    secret,
    style = 'hmac',
    header = HEADERS[style],
    timestampHeader,
    toleranceSeconds = 300,
    algorithm = style === 'hmac' && options.algorithm ? options.algorithm : 'hmac-sha256',
    payload,
    clock = systemClock,
  } = options;
  const length = Number(algorithm.slice(-3)) / 8;
  let keys: Promise<CryptoKey[]> | undefined;
  const fail = (reason: WebhookFailure): WebhookVerification => ({ valid: false, reason });

  // The signed bytes: the payload of a generic profile, else the body, after `<timestamp>.` when there is one.
  const signedBytes = async (message: WebhookMessage, timestamp: string | undefined, read: Read) => {
    const raw = message instanceof Request ? await message.clone().arrayBuffer() : message.body;
    const body = typeof raw === 'string' ? utf8(raw) : new Uint8Array(raw);
    const custom = payload?.({ body, timestamp, header: read });
    if (custom !== undefined) return typeof custom === 'string' ? utf8(custom) : custom;
    return timestamp === undefined ? body : new Uint8Array([...utf8(`${timestamp}.`), ...body]);
  };

  return async function verify(message) {
    keys ??= Promise.all(
      (typeof secret === 'string' ? [secret] : secret).map((text) => hmacKey(text, `SHA-${length * 8}`, 'verify')),
    );
    const read = reader(message.headers);
    const value = read(header);
    if (!value) return fail('missing-signature');
    const parsed = parseSignature(style, value, timestampHeader && read(timestampHeader));
    if (!parsed || (parsed.timestamp !== undefined && !/^\d+$/.test(parsed.timestamp)))
      return fail('malformed-signature');
    const { signatures, timestamp } = parsed;
    if (timestamp !== undefined && Math.abs(clock.now() / 1000 - Number(timestamp)) > toleranceSeconds) {
      return fail('timestamp-out-of-tolerance');
    }
    const signed = await signedBytes(message, timestamp, read);
    const outcome = await check(signatures, await keys, signed, length);
    return outcome ? fail(outcome) : { valid: true, ...(timestamp && { timestamp: Number(timestamp) }) };
  };
}
