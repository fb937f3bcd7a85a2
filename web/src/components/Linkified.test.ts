import { describe, expect, it } from 'vitest';
import { linkParts } from './Linkified';

describe('linkParts', () => {
  it('links http(s) addresses and ones written from www., leaving trailing punctuation out', () => {
    expect(linkParts('see https://example.com/a?b=c, then www.example.org.')).toEqual([
      'see ',
      { url: 'https://example.com/a?b=c', href: 'https://example.com/a?b=c' },
      ', then ',
      { url: 'www.example.org', href: 'https://www.example.org' },
      '.',
    ]);
    expect(linkParts('(WWW.Example.org/path)')).toEqual([
      '(',
      { url: 'WWW.Example.org/path', href: 'https://WWW.Example.org/path' },
      ')',
    ]);
  });

  it('links nothing else: no other scheme, no www inside a word, no bare www.', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,hi', 'awww.nope', 'www.', 'ftp://x.org', 'plain text'])
      expect(linkParts(text)).toEqual([text]);
  });
});
