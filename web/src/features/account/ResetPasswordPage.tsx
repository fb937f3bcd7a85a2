import { useState, type FormEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { api, ApiError } from '../../api/rest';
import { AuthCard, linkButton, Notice, primaryButton, TextField } from './ui';

const MIN_PASSWORD = LIMITS.passwordMin;

function resetError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong';
  if (err.code === 'validation_failed') {
    return /token/.test(err.message)
      ? 'This link is invalid or incomplete; ask for a new one.'
      : `The password must be at least ${MIN_PASSWORD} characters.`;
  }
  return err.message;
}

/** `/reset-password?token=…`: chooses a new password from the emailed link. */
export function ResetPasswordPage({ onDone, onForgot }: { onDone: () => void; onForgot: () => void }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [error, setError] = useState<string | null>(
    token ? null : 'This link is incomplete; open it from the email again, or ask for a new one.',
  );
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const password = String(f.get('password') ?? '');
    const again = String(f.get('password_again') ?? '');
    if (password.length < MIN_PASSWORD) return setError(`The password must be at least ${MIN_PASSWORD} characters.`);
    if (password !== again) return setError('The two passwords do not match.');
    setBusy(true);
    setError(null);
    try {
      await api.confirmPasswordReset(token, password);
      // Every session has ended, this device's too: sign in again with the new password.
      api.signOutLocally({ tone: 'info', text: 'Password changed. Sign in with your new password.' });
      onDone();
    } catch (err) {
      setError(resetError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Choose a new password">
      <form onSubmit={submit} className="space-y-3" noValidate>
        <TextField
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={MIN_PASSWORD}
          hint={`At least ${MIN_PASSWORD} characters.`}
          autoFocus
        />
        <TextField
          label="Confirm new password"
          name="password_again"
          type="password"
          autoComplete="new-password"
          minLength={MIN_PASSWORD}
        />
        {error && <Notice tone="error">{error}</Notice>}
        <button type="submit" disabled={busy || !token} className={`w-full ${primaryButton}`}>
          Change password
        </button>
      </form>
      <p className="mt-4 text-center text-sm text-neutral-600 dark:text-neutral-400">
        Link expired?{' '}
        <button className={linkButton} onClick={onForgot}>
          Ask for a new one
        </button>
      </p>
    </AuthCard>
  );
}
