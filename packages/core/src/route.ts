/**
 * Which requests a rule applies to: a pattern such as `'GET /products/*'`, `'/users/**'`,
 * `'POST,PUT https://api.example.com/v1/*'`, or a predicate. In a pattern, the methods are optional
 * (all by default), `*` matches within one path segment, `**` across segments, `:name` one segment;
 * the query string is ignored. A path without an origin matches on every origin.
 */
export type RouteMatcher = string | ((request: Request) => boolean);

const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/**
 * Compiles a {@link RouteMatcher} once into a predicate.
 * @example
 * const isProduct = matchRoute('GET /products/*');
 * isProduct(new Request('https://shop.test/products/42')); // true
 */
export function matchRoute(matcher: RouteMatcher): (request: Request) => boolean {
  if (typeof matcher === 'function') return matcher;
  const found = /^(?:([A-Za-z,*]+)\s+)?(\S+)$/.exec(matcher.trim());
  if (!found) throw new TypeError(`Invalid route pattern: ${matcher}`);
  const methods = found[1] && found[1] !== '*' ? found[1].toUpperCase().split(',') : undefined;
  const target = found[2] as string;
  const origin = /^[a-z][a-z\d+.-]*:\/\/[^/]+/i.exec(target)?.[0];
  const path = origin ? target.slice(origin.length) || '/' : target;
  const pathPattern = path
    .split(/(\*\*|\*|:[A-Za-z_]\w*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^/]*' : part.startsWith(':') ? '[^/]+' : escapeRegExp(part),
    )
    .join('');
  // Request.url lowercases the scheme and host; the path stays case-sensitive.
  const prefix = origin ? escapeRegExp(origin.toLowerCase()) : '[a-z][a-z\\d+.-]*://[^/]+';
  const pattern = new RegExp(`^${prefix}${pathPattern}(?:\\?.*)?$`);
  return (request) => (!methods || methods.includes(request.method)) && pattern.test(request.url);
}

/**
 * Compiles a list of rules that each carry a `match`, and returns a function that finds the first
 * rule that applies to a request. How middlewares offer per-route options to callers that cannot
 * pass per-call options (a third-party SDK that only calls `fetch(input, init)`).
 * @example
 * const ruleFor = compileRoutes([{ match: 'GET /products/*', ttlMs: 60_000 }]);
 * ruleFor(request)?.ttlMs;
 */
export function compileRoutes<Rule extends { match: RouteMatcher }>(
  rules: readonly Rule[] = [],
): (request: Request) => Rule | undefined {
  const compiled = rules.map((rule) => [matchRoute(rule.match), rule] as const);
  return (request) => compiled.find(([matches]) => matches(request))?.[1];
}
