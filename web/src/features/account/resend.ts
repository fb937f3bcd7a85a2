import { useState } from 'react';
import { api, ApiError, type AuthNotice } from '../../api/rest';

/** "Resend verification email": the request, and what to tell the user about it. */
export function useResendVerification() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AuthNotice | null>(null);
  async function resend() {
    setBusy(true);
    setResult(null);
    try {
      await api.post('/api/auth/resend-verification');
      setResult({ tone: 'info', text: 'Sent. Check your inbox for the link.' });
    } catch (err) {
      // 429: asked again too soon; 409: already verified (elsewhere): the server's words say so.
      setResult({ tone: 'error', text: err instanceof ApiError ? err.message : 'Could not send the email' });
      if (err instanceof ApiError && err.status === 409) void api.refreshSelf().catch(() => {});
    } finally {
      setBusy(false);
    }
  }
  return { resend, busy, result };
}
