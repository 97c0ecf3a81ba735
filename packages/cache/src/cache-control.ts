/** Cache-Control directives by lower-case name: the argument as text, or `true` for a directive without one. */
export type Directives = Map<string, string | true>;

// One list member up to the next comma that is not inside a quoted string (RFC 9110 §5.6.1, §5.6.4).
const MEMBER = /(?:[^,"]|"(?:[^"\\]|\\.)*"?)+/g;
// token [ "=" ( token / quoted-string ) ], nothing else (RFC 9111 §5.2). `max-age =1`, `max-age= 1` do not match.
const DIRECTIVE = /^[ \t]*([!#$%&'*+.^_`|~\w-]+)(?:=("(?:[^"\\]|\\.)*"|[!#$%&'*+.^_`|~\w-]*))?[ \t]*$/;

/**
 * Parses a Cache-Control field value (RFC 9111 §5.2): names are case-insensitive, arguments may be
 * quoted (and are unquoted here), unknown directives are kept, malformed members are ignored.
 * A directive repeated with a different argument keeps `''`, an argument no parser accepts: RFC 9111
 * §4.2.1 lets a cache treat such conflicting freshness information as stale.
 */
export function parseCacheControl(value: string | null | undefined): Directives {
  const directives: Directives = new Map();
  if (!value) return directives;
  for (const member of value.match(MEMBER) ?? []) {
    const found = DIRECTIVE.exec(member);
    if (!found) continue;
    const name = (found[1] as string).toLowerCase();
    const raw = found[2];
    let argument: string | true = raw === undefined ? true : raw.startsWith('"') ? unquote(raw) : raw;
    if (directives.has(name) && directives.get(name) !== argument) argument = '';
    directives.set(name, argument);
  }
  return directives;
}

const unquote = (quoted: string) => quoted.slice(1, -1).replace(/\\(.)/g, '$1');

/**
 * A directive's delta-seconds argument (RFC 9111 §1.2.2) in milliseconds; `undefined` when absent or
 * invalid (negative, fractional, not a number). Values beyond 2^31 seconds count as 2^31.
 */
export function deltaMs(directives: Directives, name: string): number | undefined {
  const argument = directives.get(name);
  return typeof argument === 'string' && /^\d+$/.test(argument)
    ? Math.min(Number(argument), 2 ** 31) * 1000
    : undefined;
}

/** The field names of a qualified `no-cache="a, b"` or `private="a"` (RFC 9111 §5.2.2.4, §5.2.2.7). */
export const fieldNames = (argument: string | true | undefined): string[] =>
  typeof argument === 'string' ? argument.split(',').map((name) => name.trim().toLowerCase()) : [];
