import { AuthError, type Clock, ConfigError, type Middleware, systemClock, validateOptions } from '@ferrule/core';
import {
  boolean,
  function as fn,
  integer,
  looseObject,
  maxValue,
  minLength,
  minValue,
  number,
  optional,
  pipe,
  strictObject,
  string,
} from 'valibot';
import { type AwsCredentials, amzDate, createAwsSigner, EMPTY_SHA256, uriEncode } from './aws-signature.ts';
import { type CredentialOptions, credentialEntries, credentialed, isHeaderSafe, secretString } from './credentialed.ts';
import { toHex } from './encoding.ts';

/** Options of {@link awsSigV4}. */
export interface AwsSigV4Options extends CredentialOptions, Partial<AwsCredentials> {
  /** e.g. `'eu-west-1'` */
  region: string;
  /** The signing name of the service, e.g. `'s3'`, `'execute-api'`, `'dynamodb'`. */
  service: string;
  /**
   * Reads the credentials at call time instead (temporary credentials that rotate); takes the place
   * of `accessKeyId`, `secretAccessKey` and `sessionToken`.
   */
  credentials?: () => AwsCredentials | Promise<AwsCredentials>;
  /** Signs `UNSIGNED-PAYLOAD` instead of hashing the body (S3 uploads over TLS). @default false */
  unsignedPayload?: boolean;
}

/** Options of {@link presignAwsUrl}. */
export interface PresignAwsUrlOptions extends AwsCredentials {
  /** e.g. `'eu-west-1'` */
  region: string;
  /** The signing name of the service, e.g. `'s3'`. */
  service: string;
  /** @default 'GET' */
  method?: string;
  /** How long the URL works, at most 7 days. @default 900 */
  expiresInSeconds?: number;
  /** The clock that dates the signature. @default systemClock */
  clock?: Clock;
}

const text = () => pipe(string(), minLength(1));
const awsEntries = () => ({
  region: text(),
  service: text(),
  accessKeyId: optional(secretString()),
  secretAccessKey: optional(text()),
  sessionToken: optional(secretString()),
});
const AwsSigV4Schema = () =>
  strictObject({
    ...awsEntries(),
    credentials: optional(fn()),
    unsignedPayload: optional(boolean()),
    ...credentialEntries(),
  });
const PresignSchema = () =>
  strictObject({
    ...awsEntries(),
    accessKeyId: text(),
    secretAccessKey: text(),
    method: optional(text()),
    expiresInSeconds: optional(pipe(number(), integer(), minValue(1), maxValue(604_800))),
    clock: optional(looseObject({ now: fn() })),
  });

// Headers a proxy may change or fetch may add: signing them would break the signature.
const UNSIGNABLE =
  /^(authorization|connection|expect|keep-alive|proxy-\S+|te|trailer|transfer-encoding|upgrade|user-agent|x-amzn-trace-id)$/;

/**
 * Signs every attempt with AWS Signature Version 4 (`Authorization: AWS4-HMAC-SHA256 …`, `X-Amz-Date`,
 * `X-Amz-Security-Token` with temporary credentials, `X-Amz-Content-SHA256` for S3). Passes all 31
 * cases of AWS's public SigV4 test suite.
 * @example
 * const fetch = createFetch({
 *   use: [awsSigV4({ region: 'eu-west-1', service: 'execute-api', accessKeyId: 'AKIA…', secretAccessKey: secret })],
 * });
 */
export const awsSigV4 = (options: AwsSigV4Options): Middleware => {
  validateOptions(AwsSigV4Schema(), options, 'awsSigV4');
  const {
    region,
    service,
    credentials,
    unsignedPayload,
    accessKeyId,
    secretAccessKey,
    sessionToken,
    ...credentialOptions
  } = options;
  if (!credentials && !(accessKeyId && secretAccessKey)) {
    throw new ConfigError('awsSigV4.accessKeyId', 'an access key id and a secret access key, or `credentials`');
  }
  const signAws = createAwsSigner();
  return credentialed(
    {
      name: 'aws-sig-v4',
      async sign(request, body, context) {
        let keys = { accessKeyId, secretAccessKey, sessionToken } as AwsCredentials;
        if (credentials) {
          try {
            keys = await credentials();
          } catch (cause) {
            throw new AuthError('awsSigV4: the credentials provider failed', {}, { request, cause });
          }
          const { accessKeyId: id, secretAccessKey: secret, sessionToken: token } = keys ?? {};
          // Each goes into a header: one that is not header-safe would have fetch quote it in a TypeError.
          if (!isHeaderSafe(id) || typeof secret !== 'string' || (token !== undefined && !isHeaderSafe(token))) {
            throw new AuthError('awsSigV4: the credentials provider gave no usable credentials', {}, { request });
          }
        }
        const url = new URL(request.url);
        const { headers } = request;
        const payloadHash = unsignedPayload
          ? 'UNSIGNED-PAYLOAD'
          : body?.byteLength
            ? toHex(await crypto.subtle.digest('SHA-256', body))
            : EMPTY_SHA256;
        const date = amzDate(context.clock.now());
        headers.set('x-amz-date', date);
        if (keys.sessionToken) headers.set('x-amz-security-token', keys.sessionToken);
        if (service === 's3') headers.set('x-amz-content-sha256', payloadHash);
        const signed: [string, string][] = [['host', url.host]];
        headers.forEach((value, name) => {
          if (!UNSIGNABLE.test(name)) signed.push([name, value]);
        });
        const { authorization } = await signAws({
          ...keys,
          method: request.method,
          path: url.pathname,
          query: url.search.slice(1),
          headers: signed,
          payloadHash,
          amzDate: date,
          region,
          service,
        });
        headers.set('authorization', authorization);
        context.emit({ type: 'auth', scheme: 'aws-sig-v4', action: 'signed' });
      },
    },
    credentialOptions,
  );
};

/**
 * A presigned URL (SigV4 query-string authentication): anyone holding it may make this one request
 * until it expires, with no credentials of their own — S3 downloads and uploads, typically.
 * @example
 * const url = await presignAwsUrl('https://my-bucket.s3.eu-west-1.amazonaws.com/report.pdf', {
 *   region: 'eu-west-1', service: 's3', accessKeyId: 'AKIA…', secretAccessKey: secret, expiresInSeconds: 600,
 * });
 */
export async function presignAwsUrl(url: string | URL, options: PresignAwsUrlOptions): Promise<string> {
  validateOptions(PresignSchema(), options, 'presignAwsUrl');
  const { method = 'GET', expiresInSeconds = 900, clock = systemClock, ...input } = options;
  const target = new URL(url);
  const date = amzDate(clock.now());
  const scope = `${date.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  const params: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${input.accessKeyId}/${scope}`],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', String(expiresInSeconds)],
    ...(input.sessionToken ? [['X-Amz-Security-Token', input.sessionToken] as [string, string]] : []),
    ['X-Amz-SignedHeaders', 'host'],
  ];
  // Appended as text: re-serializing the caller's own parameters could change what is signed.
  const query = [target.search.slice(1), ...params.map(([name, value]) => `${name}=${uriEncode(value)}`)]
    .filter(Boolean)
    .join('&');
  const { signature } = await createAwsSigner()({
    ...input,
    method,
    path: target.pathname,
    query,
    headers: [['host', target.host]],
    // S3 presigned URLs leave the body unsigned; other services sign an empty one.
    payloadHash: input.service === 's3' ? 'UNSIGNED-PAYLOAD' : EMPTY_SHA256,
    amzDate: date,
  });
  target.search = `${query}&X-Amz-Signature=${signature}`;
  return target.href;
}
