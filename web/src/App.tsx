import { useEffect, useState } from 'react';
import type { SelfUser } from '../../protocol/users.js';
import { api } from './api/rest';
import { AuthScreen } from './features/auth/AuthScreen';
import { Sidebar } from './features/conversations/Sidebar';
import { ConversationView } from './features/messages/ConversationView';
import { ConnectionBanner } from './components/ConnectionBanner';
import { CallLayer } from './features/calls/CallView';
import { useStore } from './store/store';
import { conversations } from './store/conversations';
import { startChat, stopChat } from './store/chat';

const idFromPath = () => /^\/c\/([\w-]+)$/.exec(location.pathname)?.[1] ?? null;

export function App() {
  const [user, setUser] = useState<SelfUser | null>(api.user);
  useEffect(() => api.onUserChange(setUser), []);
  useEffect(() => {
    if (!user) return;
    startChat();
    return () => stopChat();
  }, [user]);
  if (!user) return <AuthScreen />;
  return <Chat me={user} />;
}

function Chat({ me }: { me: SelfUser }) {
  const [activeId, setActiveId] = useState<string | null>(idFromPath);
  const active = useStore(conversations, (s) => (activeId ? s.byId[activeId] : undefined));
  const loaded = useStore(conversations, (s) => s.loaded);

  useEffect(() => {
    const onPop = () => setActiveId(idFromPath());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // The open conversation vanished (we left or were removed): back to the list.
  useEffect(() => {
    if (loaded && activeId && !active) open(null);
  }, [loaded, activeId, active]);

  function open(id: string | null) {
    setActiveId(id);
    const path = id ? `/c/${id}` : '/';
    if (location.pathname !== path) history.pushState(null, '', path);
  }

  return (
    <div className="flex h-full flex-col bg-white text-neutral-900 dark:bg-neutral-900 dark:text-neutral-100">
      <ConnectionBanner />
      <CallLayer />
      <div className="flex min-h-0 flex-1">
        <aside
          className={`h-full w-full border-r border-neutral-200 wide:flex wide:w-[300px] lg:w-[360px] dark:border-neutral-800 ${
            active ? 'hidden' : 'flex'
          } shrink-0 flex-col`}
        >
          <Sidebar me={me} activeId={activeId} onOpen={open} />
        </aside>
        {active ? (
          <ConversationView c={active} myId={me.id} onBack={() => open(null)} />
        ) : (
          <div className="hidden flex-1 items-center justify-center bg-neutral-50 wide:flex dark:bg-neutral-950">
            <div className="max-w-xs text-center text-neutral-500">
              <p className="text-lg font-semibold text-neutral-700 dark:text-neutral-300">Welcome, {me.display_name}</p>
              <p className="mt-1 text-sm">Pick a chat on the left, or search for someone to start a new one.</p>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
