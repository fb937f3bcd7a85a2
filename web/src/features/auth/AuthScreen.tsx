import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/rest';
import { ForgotPasswordForm } from '../account/ForgotPasswordForm';
import { Notice, TextField } from '../account/ui';

export function AuthScreen({ initialMode = 'signin' }: { initialMode?: 'signin' | 'signup' | 'forgot' }) {
  const [mode, setModeState] = useState(initialMode);
  const [error, setError] = useState<string | null>(null);
  // Why this device was signed out ("Your account was disabled."), or news ("Password changed…").
  const [notice, setNotice] = useState(api.notice);
  const setMode = (m: typeof mode) => {
    setModeState(m);
    setError(null);
    setNotice(null);
  };
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const v = (k: string) => String(f.get(k) ?? '');
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (mode === 'signin') await api.login({ email: v('email'), password: v('password') });
      else
        await api.register({
          username: v('username'),
          display_name: v('display_name') || v('username'),
          email: v('email'),
          password: v('password'),
        });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Something went wrong');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="flex min-h-full items-center justify-center bg-neutral-100 p-4 dark:bg-neutral-950">
      <div className="w-full max-w-sm rounded-2xl bg-white p-6 shadow-sm dark:bg-neutral-900">
        <div className="mb-6 flex items-center gap-2">
          <span className="inline-flex h-9 w-9 items-center justify-center rounded-xl bg-accent text-lg font-bold text-white">
            C
          </span>
          <h1 className="text-xl font-semibold">Chatify</h1>
        </div>
        <h2 className="mb-4 text-lg font-semibold">
          {mode === 'signin' ? 'Sign in' : mode === 'signup' ? 'Create your account' : 'Reset your password'}
        </h2>
        {notice && (
          <div className="mb-4">
            <Notice tone={notice.tone}>{notice.text}</Notice>
          </div>
        )}
        {mode === 'forgot' ? (
          <ForgotPasswordForm onBack={() => setMode('signin')} />
        ) : (
          <>
            <form onSubmit={submit} className="space-y-3" key={mode}>
              {mode === 'signup' && (
                <TextField label="Username" name="username" autoComplete="username" minLength={3} />
              )}
              {mode === 'signup' && <TextField label="Display name" name="display_name" autoComplete="name" />}
              <TextField
                label={mode === 'signin' ? 'Email or username' : 'Email'}
                name="email"
                type={mode === 'signup' ? 'email' : 'text'}
                autoComplete={mode === 'signup' ? 'email' : 'username'}
              />
              <TextField
                label="Password"
                name="password"
                type="password"
                autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
                minLength={mode === 'signup' ? 8 : undefined}
              />
              {mode === 'signin' && (
                <p className="-mt-1 text-right text-sm">
                  <button
                    type="button"
                    className="font-medium text-accent hover:underline dark:text-teal-400"
                    onClick={() => setMode('forgot')}
                  >
                    Forgot password?
                  </button>
                </p>
              )}
              {error && (
                <p
                  role="alert"
                  className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-200"
                >
                  {error}
                </p>
              )}
              <button
                type="submit"
                disabled={busy}
                className="w-full rounded-xl bg-accent py-2.5 font-semibold text-white hover:bg-accent-strong disabled:opacity-60"
              >
                {mode === 'signin' ? 'Sign in' : 'Create account'}
              </button>
            </form>
            <p className="mt-4 text-center text-sm text-neutral-600 dark:text-neutral-400">
              {mode === 'signin' ? 'New here? ' : 'Have an account? '}
              <button
                className="font-semibold text-accent dark:text-teal-400"
                onClick={() => setMode(mode === 'signin' ? 'signup' : 'signin')}
              >
                {mode === 'signin' ? 'Create an account' : 'Sign in'}
              </button>
            </p>
          </>
        )}
      </div>
    </main>
  );
}
