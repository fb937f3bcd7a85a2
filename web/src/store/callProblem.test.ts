import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { callProblem } from './callProblem';

const named = (name: string) => Object.assign(new Error('x'), { name });

describe('callProblem', () => {
  it('blames the device only for what the device did, and says so when the server is out of reach', () => {
    expect(callProblem(new ApiError(0, 'network', 'Cannot reach the server'))).toBe(
      'You are offline: the call could not start',
    );
    expect(callProblem(new ApiError(429, 'rate_limited', 'Too many requests, try again in 5 s'))).toBe(
      'Too many requests, try again in 5 s',
    );
    expect(callProblem(named('NotAllowedError'))).toBe(
      'Camera or microphone blocked: allow them in the browser to call',
    );
    expect(callProblem(named('NotFoundError'))).toBe('No camera or microphone found');
    expect(callProblem(named('NotReadableError'))).toMatch(/another app may be using it/);
    expect(callProblem(new TypeError('failed'))).toBe('The call could not start. Try again.');
    expect(callProblem(null)).toBe('The call could not start. Try again.');
  });
});
