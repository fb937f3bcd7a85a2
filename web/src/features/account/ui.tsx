import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { BackIcon } from '../../components/Icons';

/** Small building blocks shared by the account, settings and admin screens. */

export const inputClass =
  'w-full rounded-xl border border-neutral-300 bg-white px-3 py-2.5 text-[15px] outline-none focus:border-accent focus:ring-2 focus:ring-accent/30 dark:border-neutral-700 dark:bg-neutral-900';

export const primaryButton =
  'rounded-xl bg-accent px-4 py-2.5 font-semibold text-white hover:bg-accent-strong disabled:opacity-60';

export const secondaryButton =
  'rounded-xl border border-neutral-300 px-4 py-2 font-medium text-neutral-800 hover:bg-neutral-100 disabled:opacity-60 dark:border-neutral-700 dark:text-neutral-100 dark:hover:bg-neutral-800';

export const dangerButton =
  'rounded-xl border border-red-200 px-4 py-2 font-medium text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-900 dark:text-red-300 dark:hover:bg-red-950';

/** Compact buttons for rows and lists. */
export const secondarySmall =
  'min-h-10 rounded-lg border border-neutral-300 px-3 py-1.5 text-sm font-medium text-neutral-800 hover:bg-neutral-100 disabled:opacity-60 dark:border-neutral-700 dark:text-neutral-100 dark:hover:bg-neutral-800';

export const dangerSmall =
  'min-h-10 rounded-lg border border-red-200 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-900 dark:text-red-300 dark:hover:bg-red-950';

export const linkButton = 'font-semibold text-accent hover:underline dark:text-teal-400';

export function TextField({
  label,
  name,
  type = 'text',
  autoComplete,
  minLength,
  placeholder,
  defaultValue,
  autoFocus,
  hint,
}: {
  label: string;
  name: string;
  type?: string;
  autoComplete?: string;
  minLength?: number;
  placeholder?: string;
  defaultValue?: string;
  autoFocus?: boolean;
  hint?: string;
}) {
  const id = useId();
  // A password can be shown, to check what was typed (on a phone above all).
  const [shown, setShown] = useState(false);
  const secret = type === 'password';
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-neutral-700 dark:text-neutral-300">
        {label}
      </label>
      <div className="relative">
        <input
          id={id}
          className={secret ? `${inputClass} pr-16` : inputClass}
          name={name}
          type={secret && shown ? 'text' : type}
          autoComplete={autoComplete}
          minLength={minLength}
          placeholder={placeholder}
          defaultValue={defaultValue}
          autoFocus={autoFocus}
          aria-describedby={hint ? `${id}-hint` : undefined}
          spellCheck={secret ? false : undefined}
          autoCapitalize={secret ? 'none' : undefined}
          required
        />
        {secret && (
          <button
            type="button"
            aria-controls={id}
            aria-pressed={shown}
            onClick={() => setShown((v) => !v)}
            className="absolute inset-y-0.5 right-0.5 rounded-lg px-3 text-sm font-semibold text-accent hover:bg-neutral-100 focus-visible:ring-2 focus-visible:ring-accent/40 focus-visible:outline-none dark:text-teal-400 dark:hover:bg-neutral-800"
          >
            {shown ? 'Hide' : 'Show'}
          </button>
        )}
      </div>
      {hint && (
        <p id={`${id}-hint`} className="mt-1 text-[13px] text-neutral-500 dark:text-neutral-400">
          {hint}
        </p>
      )}
    </div>
  );
}

/** An inline message: an error (role=alert) or good news (role=status). */
export function Notice({ tone, children }: { tone: 'info' | 'error'; children: ReactNode }) {
  return tone === 'error' ? (
    <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-200">
      {children}
    </p>
  ) : (
    <p
      role="status"
      className="rounded-lg bg-teal-50 px-3 py-2 text-sm text-teal-900 dark:bg-teal-950 dark:text-teal-100"
    >
      {children}
    </p>
  );
}

/** A load that failed, said as an error, with a button to try it again. */
export function RetryNotice({ children, onRetry }: { children: ReactNode; onRetry: () => void }) {
  return (
    <div className="mb-3 flex flex-wrap items-center gap-3">
      <Notice tone="error">{children}</Notice>
      <button className={secondaryButton} onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}

/** The centred card with the logo that the signed-out screens share. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-full items-center justify-center overflow-y-auto bg-neutral-100 p-4 text-neutral-900 dark:bg-neutral-950 dark:text-neutral-100">
      <div className="w-full max-w-sm rounded-2xl bg-white p-6 shadow-sm dark:bg-neutral-900">
        <div className="mb-6 flex items-center gap-2">
          <span className="inline-flex h-9 w-9 items-center justify-center rounded-xl bg-accent text-lg font-bold text-white">
            C
          </span>
          <span className="text-xl font-semibold">Chatify</span>
        </div>
        <h1 className="mb-4 text-lg font-semibold">{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** A right-hand pane (full screen on phones) with a title and, on phones, a back arrow. */
export function Pane({
  title,
  onBack,
  children,
  wide,
}: {
  title: string;
  onBack: () => void;
  children: ReactNode;
  /** Let the content use the whole width (tables). */
  wide?: boolean;
}) {
  // A new page: focus moves to its title, so that a screen reader says where the user is and Tab
  // goes on from there (the menu item that opened it is gone, and on phones the whole list).
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus({ preventScroll: true }), []);
  return (
    <section
      aria-label={title}
      className="@container flex h-full min-w-0 flex-1 flex-col bg-neutral-50 dark:bg-neutral-950"
    >
      <header className="flex items-center gap-2 border-b border-neutral-200 bg-white px-2 py-2 dark:border-neutral-800 dark:bg-neutral-900">
        <button
          aria-label="Back"
          onClick={onBack}
          className="rounded-full p-2.5 hover:bg-neutral-100 wide:hidden dark:hover:bg-neutral-800"
        >
          <BackIcon />
        </button>
        <h2 ref={heading} tabIndex={-1} className="truncate py-2 pl-1 text-lg font-semibold outline-none wide:pl-2">
          {title}
        </h2>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className={`mx-auto space-y-4 p-3 wide:p-6 ${wide ? 'max-w-6xl' : 'max-w-2xl'}`}>{children}</div>
      </div>
    </section>
  );
}

/** A titled card inside a pane. */
export function Card({
  title,
  description,
  children,
  action,
}: {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  action?: ReactNode;
}) {
  const id = `card-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <section
      aria-labelledby={id}
      className="rounded-2xl border border-neutral-200 bg-white p-4 wide:p-5 dark:border-neutral-800 dark:bg-neutral-900"
    >
      <div className="mb-3 flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 id={id} className="font-semibold">
            {title}
          </h3>
          {description && <p className="mt-0.5 text-sm text-neutral-500 dark:text-neutral-400">{description}</p>}
        </div>
        {action}
      </div>
      {children}
    </section>
  );
}

/** A small rounded label. */
export function Badge({ tone, children }: { tone: 'good' | 'warn' | 'bad' | 'plain' | 'accent'; children: ReactNode }) {
  const tones = {
    good: 'bg-green-100 text-green-800 dark:bg-green-900/50 dark:text-green-200',
    warn: 'bg-amber-100 text-amber-900 dark:bg-amber-900/50 dark:text-amber-100',
    bad: 'bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-200',
    plain: 'bg-neutral-100 text-neutral-700 dark:bg-neutral-800 dark:text-neutral-300',
    accent: 'bg-accent-soft text-accent-strong dark:bg-teal-900/60 dark:text-teal-100',
  };
  return (
    <span className={`inline-flex shrink-0 items-center rounded-full px-2 py-0.5 text-xs font-medium ${tones[tone]}`}>
      {children}
    </span>
  );
}
