import { describe, expect, it } from 'vitest';
import { parseStructuredDictionary, parseStructuredList } from './structured-field.ts';

describe('parseStructuredList', () => {
  it('parses items of every bare type with parameters', () => {
    expect(parseStructuredList('"a";q=1, tok;w=2.5, 42, ?1;x, :aGk=:;y="z"')).toEqual([
      { value: 'a', params: { q: 1 } },
      { value: 'tok', params: { w: 2.5 } },
      { value: 42, params: {} },
      { value: true, params: { x: true } },
      { value: 'aGk=', params: { y: 'z' } },
    ]);
  });

  it('unescapes strings and allows optional whitespace around commas', () => {
    expect(parseStructuredList('"say \\"hi\\"" ,\t"back\\\\slash"')).toEqual([
      { value: 'say "hi"', params: {} },
      { value: 'back\\slash', params: {} },
    ]);
  });

  it.each([['"a",'], ['"unterminated'], ['a;'], ['a;=1'], ['1 2'], ['"a";Q=1'], ['(inner list)'], ['"bad \x01 char"']])(
    'rejects %j',
    (value) => {
      expect(parseStructuredList(value)).toBeUndefined();
    },
  );
});

describe('parseStructuredDictionary', () => {
  it('parses members with values and bare keys as true', () => {
    const dictionary = parseStructuredDictionary('limit=100, remaining=50, reset=5, flag;p=1');
    expect(Object.fromEntries([...(dictionary ?? [])].map(([key, item]) => [key, item.value]))).toEqual({
      limit: 100,
      remaining: 50,
      reset: 5,
      flag: true,
    });
  });

  it('rejects a list item where a key is expected', () => {
    expect(parseStructuredDictionary('"default";r=50')).toBeUndefined();
  });
});
