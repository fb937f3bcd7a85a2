import { describe, expect, it } from 'vitest';
import { readable } from './errors';

describe('readable', () => {
  it('names a refused field as the form does, not by its path in the request', () => {
    const refused = (...details: { path: string; message: string }[]) =>
      readable({ code: 'validation_failed', message: 'Invalid request: …', details });
    expect(refused({ path: 'body.username', message: 'may contain only letters, digits, "_" and "."' })).toBe(
      'Username may contain only letters, digits, "_" and "."',
    );
    expect(
      refused(
        { path: 'body.display_name', message: 'must be at least 1 character' },
        { path: 'body.password', message: 'must be at least 8 characters' },
      ),
    ).toBe('Display name must be at least 1 character. Password must be at least 8 characters');
    // No field to name (the body as a whole, or an item of a list): the message alone.
    expect(refused({ path: 'body', message: 'expected an object' })).toBe('Expected an object');
    expect(refused({ path: 'body.user_ids.0', message: 'is not an id' })).toBe('Is not an id');
    // Any other error: the server's message as it is.
    expect(readable({ code: 'conflict', message: 'That username is taken' })).toBe('That username is taken');
  });
});
