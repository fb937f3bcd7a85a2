import { describe, expect, it } from 'vitest';
import { eventText } from './groupEvents';

const names: Record<string, string> = { me: 'Me', a: 'Alice', b: 'Bob', c: 'Carol', d: 'Dan' };
const nameOf = (id: string) => names[id] ?? 'Someone';
const text = (event: object, sender: string) => eventText(JSON.stringify(event), sender, 'me', nameOf);

describe('eventText', () => {
  it('says who did what, "you" for the reader', () => {
    expect(text({ event: 'added', user_ids: ['b'] }, 'a')).toBe('Alice added Bob');
    expect(text({ event: 'added', user_ids: ['b', 'me'] }, 'a')).toBe('Alice added Bob and you');
    expect(text({ event: 'added', user_ids: ['b', 'c'] }, 'me')).toBe('You added Bob and Carol');
    expect(text({ event: 'added', user_ids: ['b', 'c', 'd'] }, 'a')).toBe('Alice added Bob, Carol and Dan');
    expect(text({ event: 'added', user_ids: ['b', 'c', 'd', 'me'] }, 'a')).toBe('Alice added Bob, Carol and 2 others');
    expect(text({ event: 'removed', user_ids: ['me'] }, 'a')).toBe('Alice removed you');
    expect(text({ event: 'removed', user_ids: ['b'] }, 'me')).toBe('You removed Bob');
    expect(text({ event: 'left' }, 'b')).toBe('Bob left');
    expect(text({ event: 'left' }, 'me')).toBe('You left');
    expect(text({ event: 'renamed', title: 'Ski week' }, 'c')).toBe('Carol renamed the group to “Ski week”');
    expect(text({ event: 'photo' }, 'c')).toBe('Carol changed the group photo');
    expect(text({ event: 'photo_removed' }, 'me')).toBe('You removed the group photo');
  });

  it('reads an event it does not know, or cannot read, as a plain change', () => {
    expect(text({ event: 'archived' }, 'a')).toBe('The group was changed');
    expect(text({ event: 'added' }, 'a')).toBe('The group was changed');
    expect(eventText('{not json', 'a', 'me', nameOf)).toBe('The group was changed');
  });
});
