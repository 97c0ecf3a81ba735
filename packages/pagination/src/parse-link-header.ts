/** One link of a `Link` header (RFC 8288). */
export interface WebLink {
  /** The target as written, a URI reference: resolve it against the response's URL. */
  href: string;
  /** The relation types of the `rel` parameter, in lower case (RFC 8288 §3.3: compared case-insensitively). */
  rel: string[];
  /** Every parameter by lower-case name, quoted values unescaped; the first of a repeated name wins. */
  params: Record<string, string>;
}

// link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), in a list (RFC 8288 §3, RFC 9110 §5.6.1:
// empty list elements are skipped). link-param = token BWS [ "=" BWS ( token / quoted-string ) ]; like
// RFC 8288 Appendix B, an unquoted value may hold any character but a separator.
const END = /[ \t,]*$/y;
const TARGET = /[ \t,]*<([^>]*)>/y;
const PARAM = /[ \t]*;[ \t]*([!#$%&'*+\-.^`|~\w]*)[ \t]*(?:=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^;, \t"]*)))?/y;
const SEPARATOR = /[ \t]*(?:,|$)/y;

/**
 * Parses a `Link` header value (RFC 8288 §3): several links, quoted parameters with escapes, commas
 * and semicolons inside quoted values and inside `<…>`, `rel` lists, repeated headers joined by
 * commas. An empty value gives no links; a malformed one gives `undefined` (never a guess).
 * @example
 * parseLinkHeader('<https://api.example.com/items?page=2>; rel="next", <…?page=9>; rel=last');
 * // [{ href: 'https://api.example.com/items?page=2', rel: ['next'], params: { rel: 'next' } }, …]
 */
export function parseLinkHeader(value: string): WebLink[] | undefined {
  const links: WebLink[] = [];
  let index = 0;
  const match = (pattern: RegExp) => {
    pattern.lastIndex = index;
    const found = pattern.exec(value);
    if (found) index = pattern.lastIndex;
    return found;
  };
  while (!match(END)) {
    const target = match(TARGET);
    if (!target) return undefined;
    const params: Record<string, string> = Object.create(null);
    for (let param = match(PARAM); param; param = match(PARAM)) {
      const [, name = '', quoted, bare] = param;
      const paramValue = quoted?.replace(/\\(.)/g, '$1') ?? bare;
      // A lone `;` (a trailing one) is tolerated; a value without a name is not.
      if (!name && paramValue !== undefined) return undefined;
      const key = name.toLowerCase();
      if (name && !(key in params)) params[key] = paramValue ?? '';
    }
    if (!match(SEPARATOR)) return undefined;
    const rel = (params.rel ?? '')
      .toLowerCase()
      .split(/[ \t]+/)
      .filter(Boolean);
    links.push({ href: (target[1] as string).trim(), rel, params });
  }
  return links;
}
