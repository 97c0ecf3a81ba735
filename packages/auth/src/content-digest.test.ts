import { describe, expect, it } from 'vitest';
import { contentDigest } from './content-digest.ts';

describe('contentDigest', () => {
  it('gives the sha-256 and sha-512 values of RFC 9530 §B.1 and RFC 9421 §B.2', async () => {
    expect(await contentDigest('{"hello": "world"}')).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    expect(await contentDigest('{"hello": "world"}', 'sha-512')).toBe(
      'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    );
  });

  it('digests bytes exactly as the same text', async () => {
    expect(await contentDigest(new TextEncoder().encode('{"hello": "world"}'))).toBe(
      await contentDigest('{"hello": "world"}'),
    );
  });
});
