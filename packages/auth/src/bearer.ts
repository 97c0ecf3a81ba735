import { type Middleware, validateOptions } from '@ferrule/core';
import { strictObject } from 'valibot';
import {
  type CredentialOptions,
  credentialEntries,
  credentialed,
  reveal,
  type Secret,
  secretSchema,
  whenReady,
} from './credentialed.ts';

const BearerSchema = () => strictObject({ token: secretSchema(), ...credentialEntries() });

/**
 * Sends `Authorization: Bearer <token>` on every attempt (RFC 6750). The token may be a function
 * that reads it at call time.
 * @example
 * const fetch = createFetch({ use: [bearer(() => process.env.GITHUB_TOKEN ?? '')] });
 */
export const bearer = (token: Secret, options: CredentialOptions = {}): Middleware => {
  validateOptions(BearerSchema(), { ...options, token }, 'bearer');
  const name = 'bearer';
  return credentialed(
    {
      name,
      sign: (request) =>
        whenReady(reveal(token, name, request), (value) => request.headers.set('authorization', `Bearer ${value}`)),
    },
    options,
  );
};
