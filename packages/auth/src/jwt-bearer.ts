import { AuthError, type Middleware, validateOptions } from '@ferrule/core';
import {
  function as fn,
  integer,
  minValue,
  number,
  optional,
  picklist,
  pipe,
  record,
  strictObject,
  string,
  union,
  unknown,
} from 'valibot';
import { type CredentialOptions, credentialEntries, credentialed, whenReady } from './credentialed.ts';
import { importJwtKey, type JwtAlgorithm, type JwtKey, jwtKeySchema, signJwt } from './jwt.ts';
import { createLease, refreshAt } from './token-lease.ts';

/** Claims of a JWT, as an object. */
export type JwtClaims = Record<string, unknown>;

/** Options of {@link jwtBearer}. */
export interface JwtBearerOptions extends CredentialOptions {
  /** `'RS256'` (GitHub Apps), `'ES256'` (App Store Connect) or `'HS256'` (a shared secret). */
  algorithm: JwtAlgorithm;
  /** The signing key: a PEM (PKCS#8 or PKCS#1), a JWK, a `CryptoKey`, or the HS256 secret. */
  key: JwtKey;
  /**
   * The claims (`iss`, `aud`, `sub` …), or a function that gives them when a token is minted.
   * `iat` and `exp` are set from the clock and `ttlSeconds` unless the claims give their own.
   */
  claims?: JwtClaims | (() => JwtClaims | Promise<JwtClaims>);
  /** How long each token is valid; it is re-minted shortly before (at most at half its life). @default 300 */
  ttlSeconds?: number;
  /** The `kid` of the JWT header, e.g. an App Store Connect key id. */
  keyId?: string;
}

const JwtBearerSchema = () =>
  strictObject({
    algorithm: picklist(['HS256', 'RS256', 'ES256']),
    key: jwtKeySchema(),
    claims: optional(union([record(string(), unknown()), fn()], 'an object or a function')),
    ttlSeconds: optional(pipe(number(), integer(), minValue(1))),
    keyId: optional(string()),
    ...credentialEntries(),
  });

/**
 * Signs its own short-lived JWTs and sends them as `Authorization: Bearer …` — GitHub Apps (RS256,
 * `iss` = app id), App Store Connect (ES256, `kid`, `aud: 'appstoreconnect-v1'`) and the like. A token
 * is cached until 30 seconds (at most half its life) before it expires; concurrent calls share one.
 * @example
 * const fetch = createFetch({ use: [jwtBearer({ algorithm: 'RS256', key: process.env.GITHUB_APP_KEY ?? '', claims: { iss: '123456' } })] });
 */
export const jwtBearer = (options: JwtBearerOptions): Middleware => {
  validateOptions(JwtBearerSchema(), options, 'jwtBearer');
  const { algorithm, key, claims = {}, ttlSeconds = 300, keyId, ...credentialOptions } = options;
  let imported: Promise<CryptoKey> | undefined;
  const lease = createLease(async (context) => {
    const nowSeconds = Math.floor(context.clock.now() / 1000);
    const payload = {
      iat: nowSeconds,
      exp: nowSeconds + ttlSeconds,
      ...(typeof claims === 'function' ? await claims() : claims),
    };
    imported ??= importJwtKey(algorithm, key);
    let token: string;
    try {
      token = await signJwt(algorithm, await imported, payload, keyId);
    } catch (cause) {
      imported = undefined;
      throw new AuthError(`jwtBearer: could not sign with the ${algorithm} key`, {}, { cause });
    }
    context.emit({ type: 'auth', scheme: 'jwt-bearer', action: 'signed' });
    return {
      header: `Bearer ${token}`,
      refreshAtMs: refreshAt(Number(payload.exp) * 1000, context.clock.now(), 30_000),
    };
  });
  return credentialed(
    {
      name: 'jwt-bearer',
      sign: (request, _body, context) =>
        whenReady(lease.get(context), ({ header }) => request.headers.set('authorization', header)),
    },
    credentialOptions,
  );
};
