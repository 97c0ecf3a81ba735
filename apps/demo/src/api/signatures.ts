import { contentDigest } from '@ferrule/auth';
import type { Clock } from '@ferrule/core';
import type { RecordedRequest } from '@ferrule/testing';
import {
  createVerifier,
  ExpiredError,
  httpbis,
  type SignatureParameters,
  UnacceptableSignatureError,
  UnknownKeyError,
} from 'http-message-signatures';

/** Why a signed request was refused. */
export type SignatureFailure =
  | 'missing-signature'
  | 'malformed-signature'
  | 'unknown-key'
  | 'uncovered-component'
  | 'outside-time-window'
  | 'replayed-nonce'
  | 'digest-mismatch'
  | 'signature-mismatch';

/** The outcome of {@link signatureVerifier}'s check. */
export type SignatureCheck = { valid: true; keyId: string } | { valid: false; reason: SignatureFailure };

/** Options of {@link signatureVerifier}. */
export interface SignatureVerifierOptions {
  /** The shared HMAC-SHA256 secret of each key id. */
  keys: Readonly<Record<string, string>>;
  clock: Clock;
  /** How old a signature's `created` may be; a nonce is remembered this long. @default 300 */
  maxAgeSeconds?: number;
  /** How far in the future `created` may be (the client's clock may run ahead). @default 5 */
  skewSeconds?: number;
}

// What a signature must cover, so that it cannot be moved to another method, URL or body.
const COVERED = ['@method', '@target-uri'];
const COVERED_WITH_BODY = [...COVERED, 'content-digest'];

const failure = (reason: SignatureFailure): SignatureCheck => ({ valid: false, reason });

function reasonOf(error: unknown): SignatureFailure {
  if (error instanceof UnknownKeyError) return 'unknown-key';
  if (error instanceof ExpiredError) return 'outside-time-window';
  if (error instanceof UnacceptableSignatureError) return 'uncovered-component';
  return 'malformed-signature';
}

/**
 * Verifies RFC 9421 HTTP Message Signatures (`hmac-sha256`) as a server must: with an independent
 * implementation (`http-message-signatures`), requiring `@method`, `@target-uri` and — with a body —
 * `content-digest` to be covered, checking the RFC 9530 `Content-Digest` against the body received,
 * refusing signatures created more than `maxAgeSeconds` ago or in the future, and refusing a nonce
 * seen before (a replayed request). HMACs are compared in constant time.
 * @example
 * const verify = signatureVerifier({ keys: { 'demo-client': secret }, clock: systemClock });
 * const check = await verify(request, server.url);
 */
export function signatureVerifier({ keys, clock, maxAgeSeconds = 300, skewSeconds = 5 }: SignatureVerifierOptions) {
  const verifiers = new Map(Object.entries(keys).map(([id, secret]) => [id, createVerifier(secret, 'hmac-sha256')]));
  // Nonces by `keyid nonce`, with the second after which they may be forgotten; in order of arrival.
  const nonces = new Map<string, number>();

  const forgetOld = (nowSeconds: number) => {
    for (const [nonce, forgetAt] of nonces) {
      if (forgetAt > nowSeconds) break;
      nonces.delete(nonce);
    }
  };

  return async function verifySignature(request: RecordedRequest, origin: string): Promise<SignatureCheck> {
    const { headers, body } = request;
    if (headers.signature === undefined || headers['signature-input'] === undefined) {
      return failure('missing-signature');
    }
    const hasBody = body.byteLength > 0;
    // RFC 9530: the digest the client sent must be the digest of what arrived.
    const digest = hasBody ? await contentDigest(body as Uint8Array<ArrayBuffer>) : undefined;
    if (digest !== undefined && headers['content-digest'] !== digest) return failure('digest-mismatch');
    const nowSeconds = Math.floor(clock.now() / 1000);
    let params: SignatureParameters | undefined;
    let valid: boolean | null;
    try {
      valid = await httpbis.verifyMessage(
        {
          async keyLookup(found) {
            params = found;
            const verify = found.keyid === undefined ? undefined : verifiers.get(found.keyid);
            return verify ? { id: found.keyid as string, algs: ['hmac-sha256'], verify } : null;
          },
          all: true,
          requiredParams: ['created', 'keyid', 'nonce'],
          requiredFields: hasBody ? COVERED_WITH_BODY : COVERED,
          notAfter: nowSeconds + skewSeconds,
        },
        { method: request.method, url: `${origin}${request.url}`, headers },
      );
    } catch (error) {
      return failure(reasonOf(error));
    }
    if (valid === null) return failure('missing-signature');
    if (!valid || !params) return failure('signature-mismatch');
    const createdSeconds = Math.floor((params.created?.getTime() ?? 0) / 1000);
    if (nowSeconds - createdSeconds > maxAgeSeconds) return failure('outside-time-window');
    forgetOld(nowSeconds);
    const nonce = `${params.keyid} ${params.nonce}`;
    if (nonces.has(nonce)) return failure('replayed-nonce');
    nonces.set(nonce, createdSeconds + maxAgeSeconds + skewSeconds);
    return { valid: true, keyId: params.keyid as string };
  };
}
