import { useEffect, useState } from 'react';
import { api, ApiError } from '../../api/rest';
import { AuthCard, Notice, primaryButton } from './ui';

// One request per token, however often the page mounts (React's strict mode mounts twice,
// and a token works only once).
const attempts = new Map<string, Promise<void>>();

type State = { status: 'working' } | { status: 'done' } | { status: 'failed'; message: string };

function linkError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'bad_request') return err.message;
  if (err instanceof ApiError && err.status === 400) return 'This link is invalid or incomplete; ask for a new one.';
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Try the link again.';
}

/** `/verify-email?token=…`: confirms the address from the email, signed in or not. */
export function VerifyEmailPage({ onContinue }: { onContinue: () => void }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [state, setState] = useState<State>(() =>
    token
      ? { status: 'working' }
      : { status: 'failed', message: 'This link is incomplete; open it from the email again.' },
  );

  useEffect(() => {
    if (!token) return;
    let live = true;
    let attempt = attempts.get(token);
    if (!attempt) {
      attempt = api.verifyEmail(token);
      attempts.set(token, attempt);
    }
    attempt.then(
      () => {
        if (live) setState({ status: 'done' });
        // Signed in here: the banner asking to confirm goes away.
        if (api.user) void api.refreshSelf().catch(() => {});
      },
      (err: unknown) => live && setState({ status: 'failed', message: linkError(err) }),
    );
    return () => {
      live = false;
    };
  }, [token]);

  const title =
    state.status === 'working'
      ? 'Confirming your email…'
      : state.status === 'done'
        ? 'Email confirmed'
        : 'Link not valid';
  return (
    <AuthCard title={title}>
      <div aria-live="polite" className="space-y-4">
        {state.status === 'working' && (
          <div
            className="h-2 w-full animate-pulse rounded-full bg-neutral-200 dark:bg-neutral-800"
            aria-hidden="true"
          />
        )}
        {state.status === 'done' && (
          <p className="text-neutral-700 dark:text-neutral-300">
            Thanks! Your email address is confirmed. You can use it to sign in and to reset your password.
          </p>
        )}
        {state.status === 'failed' && (
          <>
            <Notice tone="error">{state.message}</Notice>
            <p className="text-sm text-neutral-600 dark:text-neutral-400">
              {api.user
                ? 'You can send a new link from Settings.'
                : 'Sign in to send yourself a new link from Settings.'}
            </p>
          </>
        )}
        {state.status !== 'working' && (
          <button className={`w-full ${primaryButton}`} onClick={onContinue} autoFocus>
            Continue to Chatify
          </button>
        )}
      </div>
    </AuthCard>
  );
}
