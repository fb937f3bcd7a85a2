import { useEffect, useRef, useState } from 'react';
import type { SelfUser } from '../../protocol/users.js';
import { api } from './api/rest';
import { AuthScreen } from './features/auth/AuthScreen';
import { Sidebar } from './features/conversations/Sidebar';
import { ConversationView } from './features/messages/ConversationView';
import { ConnectionBanner } from './components/ConnectionBanner';
import { Toast } from './components/Toast';
import { CallLayer } from './features/calls/CallView';
import { useStore } from './store/store';
import { conversations, unreadCount } from './store/conversations';
import { notePhotos, people } from './store/people';
import { showToast } from './store/toast';
import { startChat, stopChat } from './store/chat';
import { VerifyEmailPage } from './features/account/VerifyEmailPage';
import { ResetPasswordPage } from './features/account/ResetPasswordPage';
import { SettingsView } from './features/account/SettingsView';
import { AdminView } from './features/admin/AdminView';
import { CallsView } from './features/calls/CallsView';

/** What the right-hand pane shows (on phones: the one pane), from the path. */
type Route =
  { page: 'home' } | { page: 'chat'; id: string } | { page: 'settings' } | { page: 'calls' } | { page: 'admin' };

function routeFromPath(): Route {
  const id = /^\/c\/([\w-]+)$/.exec(location.pathname)?.[1];
  if (id) return { page: 'chat', id };
  if (location.pathname === '/settings') return { page: 'settings' };
  if (location.pathname === '/calls') return { page: 'calls' };
  if (location.pathname === '/admin') return { page: 'admin' };
  return { page: 'home' };
}

export function App() {
  const [user, setUser] = useState<SelfUser | null>(api.user);
  // Email links (/verify-email, /reset-password) open these pages, signed in or not.
  const [path, setPath] = useState(location.pathname);
  useEffect(() => api.onUserChange(setUser), []);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // Restart the realtime session only when who is signed in changes, not when their profile does.
  const userId = user?.id;
  useEffect(() => {
    if (!userId) return;
    startChat();
    return () => stopChat();
  }, [userId]);
  const go = (to: string) => {
    history.replaceState(null, '', to);
    setPath(to);
  };
  if (path === '/verify-email') return <VerifyEmailPage onContinue={() => go('/')} />;
  if (path === '/reset-password')
    return <ResetPasswordPage onDone={() => go('/')} onForgot={() => go('/forgot-password')} />;
  if (!user) return <AuthScreen key={path} initialMode={path === '/forgot-password' ? 'forgot' : 'signin'} />;
  return <Chat me={user} />;
}

/** The state of a history entry this app pushed (see `navigate`). */
interface Entry {
  back?: string | undefined;
  from: string;
}

function Chat({ me }: { me: SelfUser }) {
  const [route, setRoute] = useState<Route>(routeFromPath);
  const activeId = route.page === 'chat' ? route.id : null;
  // Only administrators have an admin page; anyone else landing on /admin sees the list.
  const pane =
    route.page === 'settings' || route.page === 'calls' || (route.page === 'admin' && me.role === 'admin')
      ? route.page
      : null;
  const active = useStore(conversations, (s) => (activeId ? s.byId[activeId] : undefined));
  const loaded = useStore(conversations, (s) => s.loaded);
  const hasChats = useStore(conversations, (s) => !s.loaded || Object.keys(s.byId).length > 0);
  // A name fetched for someone who has left a chat: everything showing it draws again.
  useStore(people, (s) => s);
  // One's own photo, wherever one's avatar shows: set here, on another device, or read afresh.
  useEffect(() => notePhotos([me]), [me]);
  // The tab says how many chats have unread messages, as a glance at the taskbar should.
  const unreadChats = useStore(
    conversations,
    (s) => Object.values(s.byId).filter((c) => unreadCount(c, me.id) > 0).length,
  );
  useEffect(() => {
    document.title = unreadChats > 0 ? `(${unreadChats}) Chatify` : 'Chatify';
    return () => void (document.title = 'Chatify');
  }, [unreadChats]);

  useEffect(() => {
    const onPop = () => setRoute(routeFromPath());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // The open conversation vanished (we left or were removed): back to the list, in its place.
  // One that was never there (a link to a chat one has left, or someone else's) says so, rather
  // than land on the list without a word.
  const shown = useRef<string | null>(null);
  if (active) shown.current = active.id;
  useEffect(() => {
    if (!loaded || !activeId || active) return;
    if (shown.current !== activeId) showToast('That chat is not available: you may have left it or been removed.');
    goBack('/');
  }, [loaded, activeId, active]);

  // Each entry this app pushes says where it came from (`from`) and, if not to the list, where
  // the page's back arrow (phones) leads (`back`: a chat opened from the Calls page goes back
  // there). Kept in the history entry, so it holds after the browser's back and forward too.
  function navigate(path: string, back?: string) {
    if (location.pathname !== path) history.pushState({ back, from: location.pathname } satisfies Entry, '', path);
    setRoute(routeFromPath());
  }
  // A back arrow steps back through history when that is where it leads (the browser's Back then
  // goes on from there, not into the page just left); anywhere else (a chat opened from a link),
  // this entry becomes that page: either way, history does not grow.
  function goBack(to: string) {
    if ((history.state as Entry | null)?.from === to) return history.back();
    history.replaceState(null, '', to);
    setRoute(routeFromPath());
  }
  const open = (id: string | null) => navigate(id ? `/c/${id}` : '/');
  const toList = () => goBack('/');
  const backFromChat = () => goBack((history.state as Entry | null)?.back ?? '/');

  return (
    <div className="flex h-full flex-col bg-white text-neutral-900 dark:bg-neutral-900 dark:text-neutral-100">
      <ConnectionBanner />
      <CallLayer />
      <Toast />
      <div className="flex min-h-0 flex-1">
        <aside
          className={`h-full w-full border-neutral-200 wide:flex wide:border-r wide:w-[300px] lg:w-[360px] dark:border-neutral-800 ${
            active || pane ? 'hidden' : 'flex'
          } shrink-0 flex-col`}
        >
          <Sidebar me={me} activeId={activeId} onOpen={open} onNavigate={navigate} />
        </aside>
        {pane === 'settings' ? (
          <SettingsView me={me} onBack={toList} />
        ) : pane === 'calls' ? (
          <CallsView myId={me.id} onBack={toList} onOpen={(id) => navigate(`/c/${id}`, '/calls')} />
        ) : pane === 'admin' ? (
          <AdminView me={me} onBack={toList} />
        ) : active ? (
          <ConversationView c={active} myId={me.id} onBack={backFromChat} />
        ) : (
          <div className="hidden flex-1 items-center justify-center bg-neutral-50 wide:flex dark:bg-neutral-950">
            <div className="max-w-xs text-center text-neutral-500">
              <p className="text-lg font-semibold text-neutral-700 dark:text-neutral-300">Welcome, {me.display_name}</p>
              <p className="mt-1 text-sm">
                {hasChats
                  ? 'Pick a chat on the left, or search for someone to start a new one.'
                  : 'Search for someone by name on the left to start your first chat.'}
              </p>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
