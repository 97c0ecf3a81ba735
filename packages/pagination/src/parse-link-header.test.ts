import { describe, expect, it } from 'vitest';
import { parseLinkHeader } from './parse-link-header.ts';

const summary = (header: string) => parseLinkHeader(header)?.map(({ href, rel }) => ({ href, rel }));

describe('parseLinkHeader', () => {
  // The examples of RFC 8288 §3.5.
  it('parses the examples of RFC 8288 §3.5', () => {
    expect(parseLinkHeader('<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter"')).toEqual([
      {
        href: 'http://example.com/TheBook/chapter2',
        rel: ['previous'],
        params: { rel: 'previous', title: 'previous chapter' },
      },
    ]);
    expect(summary('</>; rel="http://example.net/foo"')).toEqual([{ href: '/', rel: ['http://example.net/foo'] }]);
    expect(parseLinkHeader('</terms>; rel="copyright"; anchor="#foo"')?.[0]?.params.anchor).toBe('#foo');
    expect(
      summary(
        '</TheBook/chapter2>; rel="previous"; title*=UTF-8\'de\'letztes%20Kapitel, </TheBook/chapter4>; rel="next"',
      ),
    ).toEqual([
      { href: '/TheBook/chapter2', rel: ['previous'] },
      { href: '/TheBook/chapter4', rel: ['next'] },
    ]);
    expect(summary('<http://example.org/>; rel="start http://example.net/relation/other"')).toEqual([
      { href: 'http://example.org/', rel: ['start', 'http://example.net/relation/other'] },
    ]);
    expect(summary('<https://example.org/>; rel="start", <https://example.org/index>; rel="index"')).toEqual([
      { href: 'https://example.org/', rel: ['start'] },
      { href: 'https://example.org/index', rel: ['index'] },
    ]);
  });

  it('reads the GitHub pagination header', () => {
    const header =
      '<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", ' +
      '<https://api.github.com/repositories/1300192/issues?page=4>; rel="next", ' +
      '<https://api.github.com/repositories/1300192/issues?page=515>; rel="last", ' +
      '<https://api.github.com/repositories/1300192/issues?page=1>; rel="first"';
    expect(parseLinkHeader(header)?.find((link) => link.rel.includes('next'))?.href).toBe(
      'https://api.github.com/repositories/1300192/issues?page=4',
    );
  });

  it('keeps commas and semicolons inside <…> and inside quoted values', () => {
    expect(summary('<https://x.test/a?ids=1,2;3>; rel="next"; title="a, b; c", <https://x.test/b>; rel=last')).toEqual([
      { href: 'https://x.test/a?ids=1,2;3', rel: ['next'] },
      { href: 'https://x.test/b', rel: ['last'] },
    ]);
  });

  it('unescapes quoted pairs', () => {
    expect(parseLinkHeader('<a>; rel=next; title="say \\"hi\\" \\\\ bye"')?.[0]?.params.title).toBe('say "hi" \\ bye');
  });

  it('lower-cases parameter names and relation types, and keeps the first rel of several', () => {
    expect(parseLinkHeader('<a>; REL="NEXT Last"; rel="prev"')).toEqual([
      { href: 'a', rel: ['next', 'last'], params: { rel: 'NEXT Last' } },
    ]);
  });

  it('reads unquoted values, tolerates whitespace, empty list elements and a trailing semicolon', () => {
    expect(summary(' ,  <a> ;rel = next ; , ,\t<b>;rel=last,')).toEqual([
      { href: 'a', rel: ['next'] },
      { href: 'b', rel: ['last'] },
    ]);
  });

  it('gives a link without rel an empty list, and a parameter without a value an empty string', () => {
    expect(parseLinkHeader('<a>; crossorigin')).toEqual([{ href: 'a', rel: [], params: { crossorigin: '' } }]);
  });

  it('gives no links for an empty or blank header, as json-server sends past the last page', () => {
    expect(parseLinkHeader('')).toEqual([]);
    expect(parseLinkHeader('  \t')).toEqual([]);
  });

  it.each([
    ['no <…> around the target', 'https://x.test/a; rel="next"'],
    ['an unterminated target', '<https://x.test/a; rel="next"'],
    ['an unterminated quoted value', '<a>; rel="next'],
    ['a quoted value ending in a lone backslash', '<a>; rel="next\\'],
    ['text after a quoted value', '<a>; rel="next"x'],
    ['text after the target', '<a> rel="next"'],
    ['a parameter without a name', '<a>; ="next"'],
    ['an equals sign without a name or value', '<a>; ='],
    ['a parameter name of no token characters', '<a>; @rel=next'],
    ['a space inside an unquoted value', '<a>; rel=next last'],
    ['a second link that is malformed', '<a>; rel=prev, b; rel=next'],
  ])('refuses %s', (_case, header) => {
    expect(parseLinkHeader(header)).toBeUndefined();
  });
});
