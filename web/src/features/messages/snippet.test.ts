import { describe, expect, it } from 'vitest';
import { snippetOf } from './snippet';

const file = {
  id: 'a',
  filename: 'report.pdf',
  content_type: 'application/pdf',
  size: 9,
  width: null,
  height: null,
  has_thumbnail: false,
};

describe('snippetOf', () => {
  it('says what a message carries in one line', () => {
    expect(snippetOf({ message_type: 'text', content: 'two\nlines' })).toBe('two lines');
    expect(snippetOf({ message_type: 'image', content: '' })).toBe('📷 Photo');
    expect(snippetOf({ message_type: 'image', content: 'sunset' })).toBe('📷 sunset');
    expect(snippetOf({ message_type: 'file', content: 'see this', attachment: file })).toBe('📎 report.pdf');
    expect(snippetOf({ message_type: 'text', content: 'gone', deleted: true })).toBe('Message deleted');
    // A quote of a file message names the file, as the message itself does.
    expect(snippetOf({ message_type: 'file', content: '', filename: 'report.pdf' })).toBe('📎 report.pdf');
    expect(snippetOf({ message_type: 'file', content: '' })).toBe('📎 File');
    // A call's line reads as in the thread, never as its stored JSON (screen readers announce it).
    const call = JSON.stringify({ call_id: 'c', media: 'audio', state: 'ended', duration_seconds: 14 });
    expect(snippetOf({ message_type: 'call', content: call })).toBe('Voice call · 0:14');
    const missed = JSON.stringify({ call_id: 'c', media: 'video', state: 'missed' });
    expect(snippetOf({ message_type: 'call', content: missed })).toBe('Missed video call');
    expect(snippetOf({ message_type: 'call', content: missed, mine: true })).toBe('Video call, no answer');
  });
});
