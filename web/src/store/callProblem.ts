import { ApiError } from '../api/errors';

/**
 * Why a call could not start or be answered, in words: the camera or microphone (blocked,
 * missing, busy), or the server (offline, or what it said).
 */
export function callProblem(err: unknown): string {
  if (err instanceof ApiError)
    return err.code === 'network' ? 'You are offline: the call could not start' : err.message;
  const name = (err as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Camera or microphone blocked: allow them in the browser to call';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera or microphone found';
  if (name === 'NotReadableError' || name === 'AbortError')
    return 'The camera or microphone could not be started: another app may be using it';
  return 'The call could not start. Try again.';
}
