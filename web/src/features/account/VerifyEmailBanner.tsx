import { useState } from 'react';
import type { SelfUser } from '../../../../protocol/users.js';
import { CloseIcon } from '../../components/Icons';
import { useResendVerification } from './resend';

const DISMISSED_KEY = 'chatify.verify-banner-dismissed';

/** A quiet note at the top of the list while the email address is unconfirmed; hidden for the session once dismissed. */
export function VerifyEmailBanner({ me }: { me: SelfUser }) {
  const [dismissed, setDismissed] = useState(() => sessionStorage.getItem(DISMISSED_KEY) === me.id);
  const { resend, busy, result } = useResendVerification();
  // Confirmed by the link in another tab or on another device: the server's `self_updated`
  // (or, after a reconnect, the account read again at `ready`) takes the banner away.
  if (me.email_verified || dismissed) return null;
  return (
    <div
      role="region"
      aria-label="Confirm your email"
      className="mx-3 mb-2 flex items-start gap-2 rounded-xl bg-amber-50 py-2 pr-1 pl-3 text-[13px] text-amber-950 dark:bg-amber-900/40 dark:text-amber-50"
    >
      <div className="min-w-0 flex-1">
        <p>
          <span className="font-semibold">Confirm your email.</span> We sent a link to{' '}
          <span className="wrap-anywhere">{me.email}</span>.
        </p>
        {result ? (
          <p role={result.tone === 'error' ? 'alert' : 'status'} className="mt-0.5">
            {result.text}
          </p>
        ) : (
          <button
            className="-my-2.5 py-3 font-semibold text-amber-900 underline underline-offset-2 hover:text-amber-950 disabled:opacity-60 dark:text-amber-100"
            onClick={() => void resend()}
            disabled={busy}
          >
            Email me a new link
          </button>
        )}
      </div>
      <button
        aria-label="Dismiss"
        title="Dismiss"
        className="-m-1.5 rounded-full p-2.5 text-amber-900 hover:bg-amber-100 dark:text-amber-100 dark:hover:bg-amber-900/60"
        onClick={() => {
          sessionStorage.setItem(DISMISSED_KEY, me.id);
          setDismissed(true);
        }}
      >
        <CloseIcon />
      </button>
    </div>
  );
}
