import * as v from 'valibot';

// `v.check` rather than `v.regex` or `v.custom`: core's ConfigError then says what was expected in words.
/** A string that `pattern` accepts, described as `what` in a ConfigError. */
export const matching = (pattern: RegExp, what: string) =>
  v.pipe(
    v.string(),
    v.check((text) => pattern.test(text), what),
  );

/** Duck typing: any object with `method` (a pino logger, a tracer, a meter, a propagator). */
export const withMethod = (method: string, what: string) =>
  v.optional(
    v.pipe(
      v.unknown(),
      v.check((value) => typeof (value as Record<string, unknown> | null)?.[method] === 'function', what),
    ),
  );
