import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/rest';
import { linkButton, Notice, primaryButton, TextField } from './ui';

/** "Forgot password?": asks for the address (or username) to send a reset link to. */
export function ForgotPasswordForm({ onBack }: { onBack: () => void }) {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const email = String(new FormData(e.currentTarget).get('email') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      await api.requestPasswordReset(email);
      setSent(true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Something went wrong');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-4">
      {sent ? (
        <Notice tone="info">
          If an account exists for that email or username, we sent a link to choose a new password. Check your inbox
          (and the spam folder); the link works for 24 hours.
        </Notice>
      ) : (
        <form onSubmit={submit} className="space-y-3">
          <p className="text-sm text-neutral-600 dark:text-neutral-400">
            Enter your email or username and we will email you a link to choose a new password.
          </p>
          <TextField label="Email or username" name="email" autoComplete="username" autoFocus />
          {error && <Notice tone="error">{error}</Notice>}
          <button type="submit" disabled={busy} className={`w-full ${primaryButton}`}>
            Send link
          </button>
        </form>
      )}
      <p className="text-center text-sm">
        <button className={linkButton} onClick={onBack}>
          Back to sign in
        </button>
      </p>
    </div>
  );
}
