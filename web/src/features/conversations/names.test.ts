import { describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../../../../protocol/conversations.js';

// Names of people who left are fetched; these are all members.
vi.mock('../../store/people', () => ({ personName: () => undefined }));
const { typingText } = await import('./names');

const chat = (type: Conversation['type']) =>
  ({
    type,
    members: ['Ana', 'Bo', 'Cy', 'Di'].map((name, i) => ({ id: `u${i}`, display_name: name })),
  }) as unknown as Conversation;

describe('typingText', () => {
  it('names who types in a group, and says only "typing…" in a one-to-one chat', () => {
    expect(typingText(chat('one_to_one'), ['u0'])).toBe('typing…');
    expect(typingText(chat('group'), ['u0'])).toBe('Ana is typing…');
    expect(typingText(chat('group'), ['u0', 'u1'])).toBe('Ana and Bo are typing…');
    expect(typingText(chat('group'), ['u2', 'u0', 'u3'])).toBe('Cy and 2 others are typing…');
    expect(typingText(chat('group'), [])).toBe('');
  });
});
