import { type CallOptions, ConfigError, compileRoutes, type RouteMatcher } from '@ferrule/core';
import * as v from 'valibot';

/** Per-call options of the observability middlewares, on `init.ferrule.observability`. */
export interface ObservabilityCallOptions {
  /** The low-cardinality route template of this call, e.g. `'/users/:id'`: a metric label, `url.template`. */
  route?: string;
}

declare module '@ferrule/core' {
  interface CallOptions {
    observability?: ObservabilityCallOptions;
  }
}

/**
 * Names a family of requests for metrics and span names: `{ match: 'GET /users/*', name: '/users/:id' }`.
 * Without `name`, the path of a string `match` is the name (`'/users/*'`).
 */
export interface RouteRule {
  match: RouteMatcher;
  name?: string;
}

/** The options that name a call's route, shared by `metrics()` and `tracing()`. */
export interface RouteOptions {
  /** Route rules, first match wins. @default [] */
  routes?: readonly RouteRule[];
  /** Names a request's route template; return `undefined` to fall back to `routes`. Never return a raw URL. */
  route?: (request: Request) => string | undefined;
}

export const RouteOptionsSchema = {
  routes: v.optional(
    v.array(
      v.strictObject({
        match: v.union([v.string(), v.function()], 'a route pattern or a predicate'),
        name: v.optional(v.string()),
      }),
    ),
  ),
  route: v.optional(v.function()),
};

/**
 * Compiles the route options once into a function that names a request's route, or `undefined`.
 * Per-call `ferrule.observability.route` wins, then `route`, then the first matching rule.
 */
export function routeNamer(
  { routes = [], route }: RouteOptions,
  factory: string,
): (request: Request, options: CallOptions) => string | undefined {
  let ruleFor: (request: Request) => RouteRule | undefined;
  try {
    ruleFor = compileRoutes(routes);
  } catch {
    throw new ConfigError(`${factory}.routes`, "route patterns such as 'GET /users/*'");
  }
  return (request, options) => {
    const given = options.observability?.route;
    if (typeof given === 'string') return given;
    if (route) {
      try {
        const name = route(request);
        if (typeof name === 'string') return name;
      } catch {
        // A throwing `route` never breaks a request: fall back to the rules.
      }
    }
    const rule = ruleFor(request);
    if (!rule) return undefined;
    return rule.name ?? (typeof rule.match === 'string' ? rule.match.trim().replace(/^\S+\s+/, '') : undefined);
  };
}
