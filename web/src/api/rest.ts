import type { AuthResponse } from '../../../protocol/auth.js';
import type { SelfUser } from '../../../protocol/users.js';
import type { ErrorBody } from '../../../protocol/errors.js';
import type { SearchResult } from '../../../protocol/search.js';
import { ApiError, readable } from './errors';

const SESSION_KEY = 'chatify.session';

export { ApiError };

interface StoredSession {
  refresh_token: string;
  user: SelfUser;
}

type Listener = (user: SelfUser | null) => void;

/** A line for the sign-in screen: why this device was signed out, or what just happened. */
export interface AuthNotice {
  tone: 'info' | 'error';
  text: string;
}

/**
 * The REST client. Keeps the access token in memory and the refresh token in localStorage,
 * renews the access token a minute before it expires, and retries once after a 401.
 */
export class Api {
  private token: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<string | null> | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private listeners = new Set<Listener>();
  user: SelfUser | null;
  /** Shown on the sign-in screen until the next sign-in. */
  notice: AuthNotice | null = null;

  constructor() {
    this.user = this.stored()?.user ?? null;
    window.addEventListener('storage', (e) => {
      // Signed out in another tab.
      if (e.key === SESSION_KEY && !e.newValue) this.clear();
    });
  }

  onUserChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async register(body: { username: string; email: string; password: string; display_name: string }) {
    this.adopt(await this.call<AuthResponse>('POST', '/api/auth/register', body, false));
  }

  async login(body: { email: string; password: string }) {
    this.adopt(await this.call<AuthResponse>('POST', '/api/auth/login', body, false));
  }

  async logout() {
    const refresh = this.stored()?.refresh_token;
    await this.call('POST', '/api/auth/logout', refresh ? { refresh_token: refresh } : undefined, false).catch(
      () => {},
    );
    this.clear();
  }

  /** Forgets the session on this device without asking the server (it has ended it already). */
  signOutLocally(notice: AuthNotice | null = null) {
    this.notice = notice;
    this.clear();
  }

  /** Replaces the signed-in user (after a profile change or a fresh read). */
  setSelf(user: SelfUser) {
    const stored = this.stored();
    if (!this.user || this.user.id !== user.id || !stored) return;
    this.user = user;
    localStorage.setItem(SESSION_KEY, JSON.stringify({ ...stored, user }));
    this.emit();
  }

  /** Reads the signed-in user again (e.g. after the email address was confirmed). */
  async refreshSelf() {
    this.setSelf(await this.get<SelfUser>('/api/users/me'));
  }

  // Email links work signed out, so these calls carry no token.
  verifyEmail(token: string) {
    return this.call<void>('POST', '/api/auth/verify-email', { token }, false);
  }
  requestPasswordReset(email: string) {
    return this.call<void>('POST', '/api/auth/password-reset/request', { email }, false);
  }
  confirmPasswordReset(token: string, newPassword: string) {
    return this.call<void>('POST', '/api/auth/password-reset/confirm', { token, new_password: newPassword }, false);
  }

  /** A valid access token, renewed if it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    if (this.token && Date.now() < this.expiresAt - this.margin) return this.token;
    return this.refresh();
  }

  /** Renew this long before expiry: a minute, or a quarter of a short token's life. */
  private margin = 60_000;

  refresh(): Promise<string | null> {
    this.refreshing ??= (async () => {
      const stored = this.stored();
      if (!stored) return null;
      try {
        this.adopt(
          await this.call<AuthResponse>('POST', '/api/auth/refresh', { refresh_token: stored.refresh_token }, false),
        );
        return this.token;
      } catch (err) {
        // A network failure keeps the session for later; a refused token ends it.
        if (err instanceof ApiError && err.status === 401) {
          if (this.user) this.notice = { tone: 'error', text: 'Your session has ended. Please sign in again.' };
          this.clear();
        }
        throw err;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  get<T>(path: string) {
    return this.call<T>('GET', path);
  }

  /**
   * Searches the caller's conversations (messages) and people; `before` (a message id) asks for
   * the matches older than it; `signal` cancels a stale search.
   */
  search(q: string, opts: { conversationId?: string; limit?: number; before?: string; signal?: AbortSignal } = {}) {
    const params = new URLSearchParams({ q });
    if (opts.conversationId) params.set('conversation_id', opts.conversationId);
    if (opts.limit) params.set('limit', String(opts.limit));
    if (opts.before) params.set('before', opts.before);
    return this.call<SearchResult>('GET', `/api/search?${params.toString()}`, undefined, true, false, opts.signal);
  }
  post<T>(path: string, body?: unknown) {
    return this.call<T>('POST', path, body);
  }
  patch<T>(path: string, body?: unknown) {
    return this.call<T>('PATCH', path, body);
  }
  put<T>(path: string, body?: unknown) {
    return this.call<T>('PUT', path, body);
  }
  del<T>(path: string) {
    return this.call<T>('DELETE', path);
  }

  /** Downloads an authorized resource (an upload) as a Blob, renewing the token once on a 401. */
  async blob(path: string, retried = false): Promise<Blob> {
    const token = await this.accessToken();
    if (!token) throw new ApiError(401, 'unauthorized', 'Signed out');
    let res: Response;
    try {
      res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server');
    }
    if (res.status === 401 && !retried) {
      this.token = null;
      await this.refresh();
      return this.blob(path, true);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as ErrorBody | null;
      throw new ApiError(
        res.status,
        body?.error.code ?? 'error',
        body?.error.message ?? `Download failed (${res.status})`,
      );
    }
    return res.blob();
  }

  /** Forgets the access token so the next call renews it (after a 401 outside `call`). */
  expireToken() {
    this.token = null;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    auth = true,
    retried = false,
    signal?: AbortSignal,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) {
      const token = await this.accessToken();
      if (!token) throw new ApiError(401, 'unauthorized', 'Signed out');
      headers.authorization = `Bearer ${token}`;
    }
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError(0, 'network', 'Cannot reach the server');
    }
    if (res.status === 204) return undefined as T;
    const unreadable = Symbol('unreadable');
    const parsed: unknown = await res.json().catch(() => unreadable);
    const data = parsed === unreadable ? null : parsed;
    if (!res.ok) {
      const err = (data as ErrorBody | null)?.error;
      // The token was refused: renew it and try once more. (Not a wrong password in the request
      // itself, `invalid_credentials`: that is the answer, and asking again only repeats it.)
      if (res.status === 401 && auth && !retried && err?.code !== 'invalid_credentials') {
        this.token = null;
        await this.refresh();
        return this.call(method, path, body, auth, true, signal);
      }
      throw new ApiError(res.status, err?.code ?? 'error', err ? readable(err) : `Request failed (${res.status})`);
    }
    // A body cut off on the way (or not JSON) is a failed request, never a null result.
    if (parsed === unreadable) throw new ApiError(0, 'network', 'The server’s answer was cut off');
    return data as T;
  }

  private adopt(auth: AuthResponse) {
    this.token = auth.token;
    this.expiresAt = Date.now() + auth.expires_in * 1000;
    this.margin = Math.min(60_000, (auth.expires_in * 1000) / 4);
    // Any change (a new user, or news about this one: verified, renamed, promoted) is told.
    const changed = JSON.stringify(this.user) !== JSON.stringify(auth.user);
    this.user = auth.user;
    this.notice = null;
    localStorage.setItem(SESSION_KEY, JSON.stringify({ refresh_token: auth.refresh_token, user: auth.user }));
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(
      () => void this.refresh().catch(() => {}),
      Math.max(5_000, auth.expires_in * 1000 - 60_000),
    );
    if (changed) this.emit();
  }

  private clear() {
    const had = this.user !== null;
    this.token = null;
    this.user = null;
    clearTimeout(this.renewTimer);
    localStorage.removeItem(SESSION_KEY);
    if (had) this.emit();
  }

  private stored(): StoredSession | null {
    try {
      return JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as StoredSession | null;
    } catch {
      return null;
    }
  }

  private emit() {
    for (const fn of this.listeners) fn(this.user);
  }
}

export const api = new Api();
