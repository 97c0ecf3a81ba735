import type { Context, RouteMatcher } from '@ferrule/core';
import type { GenericSchema, ObjectEntries } from 'valibot';
import {
  array,
  check,
  func,
  gtValue,
  integer,
  literal,
  matchRoute,
  maxValue,
  minValue,
  number,
  optional,
  pipe,
  strictObject,
  string,
  toUpperCase,
  union,
  validateOptions,
} from './deps.ts';

// Node's setTimeout fires at once (with a warning) beyond this many milliseconds.
const MAX_TIMER_MS = 2_147_483_647;

/** A delay in milliseconds: 0 up to what a timer can hold. */
export const delayMs = pipe(number(), minValue(0), maxValue(MAX_TIMER_MS));

/** A number that is not negative; `Infinity` too. */
export const nonNegative = pipe(number(), minValue(0));

/** A timeout in milliseconds: positive, at most what a timer can hold, or `Infinity` for none. */
export const timeoutMs = union([pipe(number(), gtValue(0), maxValue(MAX_TIMER_MS)), literal(Infinity)]);

export const count = (min: number) => pipe(number(), integer(), minValue(min));

export const ratio = pipe(number(), gtValue(0), maxValue(1));

export const statuses = array(pipe(number(), integer(), minValue(100), maxValue(599)));

export const methods = array(pipe(string(), toUpperCase()));

/** A function option; valibot checks that it is one, the type comes from the public interface. */
export const fn = <T>() => func() as unknown as GenericSchema<T>;

const isRoutePattern = (pattern: string) => {
  try {
    matchRoute(pattern);
    return true;
  } catch {
    return false;
  }
};

/** `match` of a route rule: a pattern such as `'GET /products/*'`, or a predicate. */
const matcher = union([
  pipe(string(), check(isRoutePattern, 'a route pattern (`GET /items/*`)')),
  fn<(request: Request) => boolean>(),
]);

/**
 * A rule of a middleware's `routes` option: the options it sets for the requests it matches.
 * @example
 * const rule: Route<RetryCallOptions> = { match: 'GET /reports/*', maxAttempts: 5 };
 */
export type Route<Options> = Options & {
  /** Which requests the rule applies to: `'GET /products/*'`, `'/users/**'`, or a predicate. */
  match: RouteMatcher;
};

/**
 * Validates a factory's options (`entries` may also be given per call and per route, `own` only to
 * the factory) and returns them with a function that finds the plan for a call: the per-call options
 * on `init.ferrule[key]` over the first route rule that matches over the factory's own. Plans for
 * the factory and its rules are compiled once; per-call options are validated and compiled for their
 * call only. The plan is `undefined` when the caller turned the concern off with `false`.
 */
export function planner<Input extends object, Plan, Own = unknown>(
  key: string,
  options: unknown,
  entries: ObjectEntries,
  own: ObjectEntries,
  compile: (input: Input) => Plan,
): [(request: Request, context: Context) => Plan | undefined, Input & Own] {
  const callSchema = strictObject(entries);
  const { routes: rules = [], ...input } = validateOptions(
    strictObject({ ...entries, ...own, routes: optional(array(strictObject({ match: matcher, ...entries }))) }),
    options,
    key,
  ) as Input & Own & { routes?: Route<Input>[] };
  const plan = compile(input as Input);
  const compiled = rules.map((rule) => {
    const merged = { ...input, ...rule } as Input;
    return { matches: matchRoute(rule.match), input: merged, plan: compile(merged) };
  });
  const planFor = (request: Request, context: Context) => {
    const perCall = context.options[key] as object | false | undefined;
    if (perCall === false) return undefined;
    const rule = compiled.find((candidate) => candidate.matches(request));
    if (perCall === undefined) return rule ? rule.plan : plan;
    // Valibot leaves out the options the caller did not give, so the others keep their value.
    const checked = validateOptions(callSchema, perCall, `init.ferrule.${key}`);
    return compile({ ...(rule ? rule.input : input), ...checked } as Input);
  };
  return [planFor, input as Input & Own];
}
