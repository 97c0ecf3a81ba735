import { AuthError, type Middleware, validateOptions } from '@ferrule/core';
import { function as fn, pipe, regex, strictObject, string, union } from 'valibot';
import {
  type CredentialOptions,
  credentialEntries,
  credentialed,
  reveal,
  type Secret,
  secretSchema,
} from './credentialed.ts';
import { toBase64, utf8 } from './encoding.ts';

/** Options of {@link basic}. */
export interface BasicOptions extends CredentialOptions {
  /** The user id; it may not contain `:` (RFC 7617 §2). */
  username: Secret;
  /** The password, or a function that reads it at call time. */
  password: Secret;
}

const BasicSchema = () =>
  strictObject({
    username: union([pipe(string(), regex(/^[^:\r\n]*$/, 'a user id without `:`')), fn()]),
    password: secretSchema('a string without line breaks, or a function'),
    ...credentialEntries(),
  });

/**
 * Sends `Authorization: Basic …` (RFC 7617, UTF-8) on every attempt.
 * @example
 * const fetch = createFetch({ use: [basic({ username: 'ci', password: () => process.env.REGISTRY_PASSWORD ?? '' })] });
 */
export const basic = (options: BasicOptions): Middleware => {
  validateOptions(BasicSchema(), options, 'basic');
  const { username, password, ...credentialOptions } = options;
  const name = 'basic';
  const encode = (user: string, secret: string) => `Basic ${toBase64(utf8(`${user}:${secret}`))}`;
  const fixed = typeof username === 'string' && typeof password === 'string' ? encode(username, password) : undefined;
  const sign = async (request: Request) => {
    const user = await reveal(username, name, request);
    if (user.includes(':')) throw new AuthError('basic: the user id contains `:`', {}, { request });
    request.headers.set('authorization', encode(user, await reveal(password, name, request)));
  };
  return credentialed(
    { name, sign: fixed ? (request) => request.headers.set('authorization', fixed) : sign },
    credentialOptions,
  );
};
