import { expect, it } from 'vitest';
import { MemberCache } from './member-cache.js';

it('keeps the newest version of a conversation, never an older one that arrives late', () => {
  const cache = new MemberCache();
  cache.set('c', { version: 2, ids: ['a', 'b'] });
  cache.set('c', { version: 1, ids: ['a', 'b', 'gone'] });
  expect(cache.get('c')).toEqual({ version: 2, ids: ['a', 'b'] });
  cache.set('c', { version: 3, ids: ['a'] });
  expect(cache.get('c')).toEqual({ version: 3, ids: ['a'] });
  expect(cache.get('other')).toBeUndefined();
});

it('holds at most maxIds member ids, letting go of the conversations used longest ago', () => {
  const cache = new MemberCache(5);
  cache.set('one', { version: 0, ids: ['a', 'b'] });
  cache.set('two', { version: 0, ids: ['c', 'd'] });
  cache.get('one'); // used since: 'two' is now the oldest
  cache.set('three', { version: 0, ids: ['e', 'f'] });
  expect(cache.get('two')).toBeUndefined();
  expect(cache.get('one')?.ids).toEqual(['a', 'b']);
  expect(cache.get('three')?.ids).toEqual(['e', 'f']);
  // A conversation bigger than the whole cache is not kept (nor does it keep anything else).
  cache.set('huge', { version: 0, ids: ['1', '2', '3', '4', '5', '6'] });
  expect(cache.size).toBe(0);
});
