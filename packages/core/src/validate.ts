import { ConfigError, type FerruleErrorOptions, ValidationError, type ValidationIssue } from './errors.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';

// Drops the value a message quotes (`… but received "x"`, `Received "x"`): it may be a secret.
const withoutReceived = (message: string) =>
  message.replace(/(?:,?\s*but)?\s*received\b[\s\S]*$/i, '').replace(/[\s:]+$/, '');

const issuePath = (issue: StandardSchemaV1.Issue) =>
  (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');

// What was expected, never what was received: the received value may be a secret given in the wrong place.
// A schema's own message (valibot's `v.regex(…, 'a lowercase id')`) is kept; a generated one
// (`Invalid type: Expected …`) is reduced to what it expected.
const expectation = (issue: StandardSchemaV1.Issue) => {
  const { expected, received } = issue as { expected?: unknown; received?: unknown };
  if (expected === 'never') return 'no such option';
  if (received === 'undefined') return 'a value (the option is required)';
  const generated = /^Invalid [\w ]+:/.test(issue.message);
  if (generated && typeof expected === 'string' && expected) return expected;
  return withoutReceived(issue.message).replace(/^[^:]*:\s*expected\s*/i, '');
};

/**
 * Validates a factory's options with any Standard Schema (valibot in ferrule's packages) and returns
 * the parsed output. A mismatch throws a {@link ConfigError} naming `factory.option` and what was
 * expected, so a wrong option fails when the middleware is created, not on the first request.
 * @example
 * const options = validateOptions(RetryOptionsSchema, input, 'retry');
 */
export function validateOptions<Schema extends StandardSchemaV1>(
  schema: Schema,
  options: unknown,
  factory: string,
): StandardSchemaV1.InferOutput<Schema> {
  const result = schema['~standard'].validate(options);
  if (result instanceof Promise) throw new ConfigError(factory, 'a schema that validates synchronously');
  const issue = result.issues?.[0];
  if (issue) {
    const path = issuePath(issue);
    throw new ConfigError(path ? `${factory}.${path}` : factory, expectation(issue));
  }
  return (result as StandardSchemaV1.SuccessResult<StandardSchemaV1.InferOutput<Schema>>).value;
}

/**
 * Validates data (a response body, a page of items) with any Standard Schema and returns the typed
 * output, or throws a {@link ValidationError} that carries the issue paths and messages, not the data.
 * @example
 * const user = await validateData(UserSchema, await response.json(), { request });
 */
export async function validateData<Schema extends StandardSchemaV1>(
  schema: Schema,
  data: unknown,
  options?: FerruleErrorOptions,
): Promise<StandardSchemaV1.InferOutput<Schema>> {
  const result = await schema['~standard'].validate(data);
  if (result.issues) {
    const issues: ValidationIssue[] = result.issues.map((issue) => ({
      path: issuePath(issue),
      message: withoutReceived(issue.message),
    }));
    throw new ValidationError(issues, options);
  }
  return result.value;
}
