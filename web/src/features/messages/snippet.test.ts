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
  });
});
