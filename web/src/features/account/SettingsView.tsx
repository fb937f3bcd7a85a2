import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { SelfUser } from '../../../../protocol/users.js';
import type { Session } from '../../../../protocol/accounts.js';
import type { IceServers } from '../../../../protocol/calls.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { api, ApiError, type AuthNotice } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { PhotoPicker } from './PhotoPicker';
import { LengthHint } from '../../components/LengthHint';
import { SkeletonRow } from '../../components/Skeleton';
import { useReloadOnReturn } from '../../components/useReloadOnReturn';
import { dateLabel, deviceName, whenLabel } from './device';
import { useResendVerification } from './resend';
import {
  Badge,
  Card,
  dangerButton,
  dangerSmall,
  inputClass,
  Notice,
  Pane,
  primaryButton,
  RetryNotice,
  secondaryButton,
  TextField,
} from './ui';

const message = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

/** Settings: profile, email address, password, and where this account is signed in. */
export function SettingsView({ me, onBack }: { me: SelfUser; onBack: () => void }) {
  // Changing the password ends the other sessions: the list reloads when it changes.
  const [sessionsVersion, setSessionsVersion] = useState(0);
  return (
    <Pane title="Settings" onBack={onBack}>
      <ProfileCard me={me} />
      <EmailCard me={me} />
      <CallsCard me={me} />
      <PasswordCard onChanged={() => setSessionsVersion((v) => v + 1)} />
      <SessionsCard version={sessionsVersion} />
    </Pane>
  );
}

function ProfileCard({ me }: { me: SelfUser }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AuthNotice | null>(null);
  // What the field holds now, for its length hint (the field itself stays uncontrolled).
  const [typed, setTyped] = useState(me.display_name);

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const displayName = String(new FormData(e.currentTarget).get('display_name') ?? '').trim();
    if (!displayName) return setResult({ tone: 'error', text: 'The display name cannot be empty.' });
    setBusy(true);
    setResult(null);
    try {
      api.setSelf(await api.patch<SelfUser>('/api/users/me', { display_name: displayName }));
      setResult({ tone: 'info', text: 'Saved.' });
    } catch (err) {
      setResult({ tone: 'error', text: message(err, 'Could not save') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Profile">
      <div className="mb-4 flex items-start gap-4">
        <Avatar id={me.id} name={me.display_name} size={72} />
        <div className="min-w-0 flex-1">
          <p className="truncate text-base font-semibold">{me.display_name}</p>
          <p className="mb-2 truncate text-sm text-neutral-500 dark:text-neutral-400">@{me.username}</p>
          <PhotoPicker<SelfUser>
            hasPhoto={!!me.avatar_id}
            path="/api/users/me/avatar"
            onSaved={(self) => api.setSelf(self)}
            label="Choose a profile photo"
          />
        </div>
      </div>
      <form onSubmit={save} className="space-y-3">
        <div>
          <label
            htmlFor="settings-display-name"
            className="mb-1 block text-sm font-medium text-neutral-700 dark:text-neutral-300"
          >
            Display name
          </label>
          <div className="flex gap-2">
            <input
              id="settings-display-name"
              className={inputClass}
              name="display_name"
              defaultValue={me.display_name}
              autoComplete="name"
              maxLength={LIMITS.displayNameMax}
              onChange={(e) => {
                setTyped(e.target.value);
                setResult(null); // "Saved." was about the name before this edit
              }}
              required
            />
            <button type="submit" disabled={busy} className={`shrink-0 ${secondaryButton}`}>
              Save
            </button>
          </div>
          <LengthHint value={typed} max={LIMITS.displayNameMax} />
        </div>
        {result && <Notice tone={result.tone}>{result.text}</Notice>}
      </form>
    </Card>
  );
}

/** Calls: whether they always go through the relay (TURN) server, so the other side never sees this device's address. */
function CallsCard({ me }: { me: SelfUser }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Whether this server has a relay at all (null: not known yet, or could not ask).
  const [hasRelay, setHasRelay] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    api.get<IceServers>('/api/calls/ice-servers').then(
      (r) => live && setHasRelay(r.ice_servers.some((s) => [s.urls].flat().some((u) => /^turns?:/.test(u)))),
      () => {},
    );
    return () => {
      live = false;
    };
  }, []);

  const id = useId();
  // Shown at once while it saves; otherwise the account's own setting (which follows a change
  // made on another device), so a refusal puts it back by itself.
  const [pending, setPending] = useState<boolean | null>(null);
  const relayOnly = pending ?? me.relay_only;
  async function toggle(on: boolean) {
    setBusy(true);
    setError(null);
    setPending(on);
    try {
      api.setSelf(await api.patch<SelfUser>('/api/users/me', { relay_only: on }));
    } catch (err) {
      setError(message(err, 'Could not save'));
    } finally {
      setPending(null);
      setBusy(false);
    }
  }

  return (
    <Card title="Calls">
      <div className="flex items-start gap-3">
        <input
          id={`${id}-box`}
          type="checkbox"
          className="mt-1 h-4 w-4 shrink-0 accent-accent"
          checked={relayOnly}
          disabled={busy || (hasRelay === false && !relayOnly)}
          aria-describedby={`${id}-what${hasRelay === false ? ` ${id}-none` : ''}`}
          onChange={(e) => void toggle(e.target.checked)}
        />
        <div>
          <label htmlFor={`${id}-box`} className="block font-medium">
            Relay my calls
          </label>
          <p id={`${id}-what`} className="text-sm text-neutral-500 dark:text-neutral-400">
            Calls go through the server, so the people you call never see your IP address. Quality may be a little
            lower.
          </p>
        </div>
      </div>
      {hasRelay === false && (
        <p id={`${id}-none`} className="mt-3 text-sm text-neutral-500 dark:text-neutral-400">
          {relayOnly
            ? 'This server has no relay set up, so your calls cannot connect while this is on.'
            : 'This server has no relay set up, so calls always connect directly.'}
        </p>
      )}
      {error && (
        <div className="mt-3">
          <Notice tone="error">{error}</Notice>
        </div>
      )}
    </Card>
  );
}

function EmailCard({ me }: { me: SelfUser }) {
  const { resend, busy, result } = useResendVerification();
  return (
    <Card
      title="Email"
      description={
        me.email_verified
          ? 'Used to sign in and to reset your password.'
          : 'Confirm your address with the link we emailed you, so you can reset your password if you forget it.'
      }
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="min-w-0 font-medium wrap-anywhere" data-testid="email-address">
          {me.email}
        </span>
        {me.email_verified ? <Badge tone="good">Verified</Badge> : <Badge tone="warn">Not verified</Badge>}
      </div>
      {!me.email_verified && (
        <div className="mt-3 space-y-3">
          <button className={secondaryButton} disabled={busy} onClick={() => void resend()}>
            Resend verification email
          </button>
          {result && <Notice tone={result.tone}>{result.text}</Notice>}
        </div>
      )}
    </Card>
  );
}

function PasswordCard({ onChanged }: { onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<AuthNotice | null>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const current = String(f.get('current_password') ?? '');
    const next = String(f.get('new_password') ?? '');
    if (next.length < LIMITS.passwordMin) {
      return setResult({ tone: 'error', text: `The new password must be at least ${LIMITS.passwordMin} characters.` });
    }
    setBusy(true);
    setResult(null);
    try {
      await api.post('/api/users/me/password', { current_password: current, new_password: next });
      form.reset();
      setResult({ tone: 'info', text: 'Password changed. Your other devices were signed out.' });
      onChanged();
    } catch (err) {
      setResult({ tone: 'error', text: message(err, 'Could not change the password') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Password" description="Changing it signs you out on your other devices.">
      <form onSubmit={submit} className="space-y-3" noValidate>
        <TextField label="Current password" name="current_password" type="password" autoComplete="current-password" />
        <TextField
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          minLength={LIMITS.passwordMin}
          hint={`At least ${LIMITS.passwordMin} characters.`}
        />
        {result && <Notice tone={result.tone}>{result.text}</Notice>}
        <button type="submit" disabled={busy} className={primaryButton}>
          Change password
        </button>
      </form>
    </Card>
  );
}

const isPhone = (ua: string | null) => !!ua && /Mobile|Android|iPhone|iPad/.test(ua);

const DeviceIcon = ({ phone }: { phone: boolean }) => (
  <svg
    width={20}
    height={20}
    viewBox="0 0 24 24"
    fill="none"
    stroke="currentColor"
    strokeWidth={2}
    strokeLinecap="round"
    strokeLinejoin="round"
    aria-hidden="true"
  >
    {phone ? (
      <>
        <rect x="6" y="2" width="12" height="20" rx="2" />
        <path d="M11 18h2" />
      </>
    ) : (
      <>
        <rect x="2" y="4" width="20" height="13" rx="2" />
        <path d="M8 21h8M12 17v4" />
      </>
    )}
  </svg>
);

function SessionsCard({ version }: { version: number }) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<AuthNotice | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const res = await api.get<{ sessions: Session[] }>('/api/sessions');
      // This device first, then the most recently used.
      setSessions([...res.sessions].sort((a, b) => Number(b.current) - Number(a.current)));
      setError(null);
    } catch (err) {
      setError(message(err, 'Could not load your sessions'));
    }
  }, []);
  useEffect(() => void load(), [load, version]);
  // Back to this tab (after signing in elsewhere, say): the list may have changed.
  useReloadOnReturn(load);

  async function run(action: () => Promise<string | null>) {
    setBusy(true);
    setResult(null);
    try {
      const text = await action();
      if (text) setResult({ tone: 'info', text });
    } catch (err) {
      setResult({ tone: 'error', text: message(err, 'That did not work') });
    } finally {
      setBusy(false);
      await load();
    }
  }

  const others = sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <Card title="Sessions" description="Where you are signed in. Sign out of any device you do not recognise.">
      {error && <RetryNotice onRetry={() => void load()}>{error}</RetryNotice>}
      <ul aria-label="Sessions" className="divide-y divide-neutral-100 dark:divide-neutral-800">
        {!sessions &&
          !error &&
          Array.from({ length: 2 }, (_, i) => (
            <SkeletonRow key={i} avatar="h-10 w-10" lines={['w-1/3', 'w-2/3']} className="py-3" />
          ))}
        {sessions?.map((s) => {
          const name = deviceName(s.user_agent);
          return (
            <li key={s.id} className="flex items-center gap-3 py-3" data-testid="session">
              <span className="flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-neutral-100 text-neutral-600 dark:bg-neutral-800 dark:text-neutral-300">
                <DeviceIcon phone={isPhone(s.user_agent)} />
              </span>
              <div className="min-w-0 flex-1">
                <p className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
                  <span className="truncate font-medium" title={s.user_agent ?? undefined}>
                    {name}
                  </span>
                  {s.current && <Badge tone="accent">This device</Badge>}
                </p>
                <p className="text-[13px] text-neutral-500 dark:text-neutral-400">
                  {/* This device is in use right now: its stored time moves only when its token is renewed. */}
                  {s.current ? 'Active now' : `Active ${whenLabel(s.last_used_at)}`} · signed in{' '}
                  {dateLabel(s.created_at)}
                </p>
              </div>
              {!s.current && (
                <button
                  className={`shrink-0 ${dangerSmall}`}
                  aria-label={`Sign out ${name}, active ${whenLabel(s.last_used_at)}`}
                  disabled={busy}
                  onClick={() =>
                    void run(async () => {
                      await api.del(`/api/sessions/${s.id}`);
                      return `Signed out ${name}.`;
                    })
                  }
                >
                  Sign out
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {result && (
        <div className="mt-3">
          <Notice tone={result.tone}>{result.text}</Notice>
        </div>
      )}
      <div className="mt-3 border-t border-neutral-100 pt-3 dark:border-neutral-800">
        <button
          className={dangerButton}
          disabled={busy || others === 0}
          onClick={() =>
            void run(async () => {
              const { ended } = await api.del<{ ended: number }>('/api/sessions');
              return ended === 1 ? 'Signed out 1 other session.' : `Signed out ${ended} other sessions.`;
            })
          }
        >
          Sign out all other sessions
        </button>
      </div>
    </Card>
  );
}
