import { describe, expect, it } from 'vitest';
import { isOriginAllowed } from './origin.js';

const config = { ALLOWED_ORIGINS: ['https://app.example.com'], PUBLIC_ORIGIN: undefined };

describe('isOriginAllowed', () => {
  it('allows no Origin (non-browser clients), the own origin and listed ones', () => {
    expect(isOriginAllowed(undefined, 'chat.example.com', config)).toBe(true);
    expect(isOriginAllowed('https://chat.example.com', 'chat.example.com', config)).toBe(true);
    expect(isOriginAllowed('http://localhost:8080', 'localhost:8080', config)).toBe(true);
    expect(isOriginAllowed('https://app.example.com', 'chat.example.com', config)).toBe(true);
    expect(isOriginAllowed('https://CHAT.example.com', 'chat.example.com', config)).toBe(true);
  });

  it('refuses null, foreign and look-alike origins', () => {
    expect(isOriginAllowed('null', 'chat.example.com', config)).toBe(false);
    expect(isOriginAllowed('https://evil.test', 'chat.example.com', config)).toBe(false);
    expect(isOriginAllowed('https://chat.example.com.evil.test', 'chat.example.com', config)).toBe(false);
    expect(isOriginAllowed('https://chat.example.com:444', 'chat.example.com', config)).toBe(false);
    expect(isOriginAllowed('not a url', 'chat.example.com', config)).toBe(false);
  });

  it('honours PUBLIC_ORIGIN behind a proxy', () => {
    const c = { ALLOWED_ORIGINS: [], PUBLIC_ORIGIN: 'https://chat.example.com' };
    expect(isOriginAllowed('https://chat.example.com', 'node-1:8080', c)).toBe(true);
    expect(isOriginAllowed('https://other.example.com', 'node-1:8080', c)).toBe(false);
  });
});
