import { useCallback, useEffect, useState } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import type { SelfUser } from '../../../../protocol/users.js';
import { api, ApiError } from '../../api/rest';
import { Avatar } from '../../components/Avatar';
import { UsersIcon } from '../../components/Icons';
import { Menu, menuItem } from '../../components/Menu';
import { SkeletonRow } from '../../components/Skeleton';
import { useStore } from '../../store/store';
import { conversations, inHeldOrder, sortedConversations, upsertConversation } from '../../store/conversations';
import { ConversationItem } from './ConversationItem';
import { NewGroupDialog } from './NewGroupDialog';
import { SidebarSearch } from './SidebarSearch';
import { focusMessage } from '../../store/messages';
import { VerifyEmailBanner } from '../account/VerifyEmailBanner';
import { resetDrafts } from '../../store/drafts';

export function Sidebar({
  me,
  activeId,
  onOpen,
  onNavigate,
}: {
  me: SelfUser;
  activeId: string | null;
  onOpen: (id: string) => void;
  /** Opens a page by path: /settings, /admin. */
  onNavigate: (path: string) => void;
}) {
  const list = useStore(conversations, (s) => s.byId);
  const loaded = useStore(conversations, (s) => s.loaded);
  const [newGroup, setNewGroup] = useState(false);
  // Why a chat picked in search did not open: said above the list (the search has closed).
  const [failure, setFailure] = useState<string | null>(null);
  // While the pointer is over the list, rows keep their places (a chat that gets a message
  // moves up when the pointer leaves), so a click lands on the chat that was under it.
  const [held, setHeld] = useState<string[] | null>(null);
  // Search results take the list's place without a pointerleave: let go then too. (A stable
  // callback: a new one each render would be called with null each render.)
  const letGoWhenGone = useCallback((el: HTMLUListElement | null) => {
    if (!el) setHeld(null);
  }, []);
  const newest = sortedConversations(list);
  const sorted = held ? inHeldOrder(newest, held) : newest;
  // This person's own doing sorts a held list once: a message they wrote (the mouse resting on
  // the list while they type), or a chat they opened that was not in it (from search, a new
  // group). Their attention is on that chat, not on a row under the pointer (decision 027).
  const mineOnTop = newest[0]?.last_message?.sender_id === me.id ? newest[0].last_message.id : null;
  const openedNew = held !== null && activeId !== null && !held.includes(activeId);
  useEffect(() => {
    if (mineOnTop || openedNew) setHeld((h) => h && sortedConversations(conversations.get().byId).map((c) => c.id));
  }, [mineOnTop, openedNew]);

  /** Opens a chat; a failure said before goes. */
  function open(id: string) {
    setFailure(null);
    onOpen(id);
  }

  /** Opens the direct chat with someone picked in search; a failure (offline, the server busy) is said. */
  async function openDirect(userId: string) {
    setFailure(null);
    try {
      const c = await api.post<Conversation>('/api/conversations', { type: 'one_to_one', member_ids: [userId] });
      upsertConversation(c);
      open(c.id);
    } catch (err) {
      setFailure(
        err instanceof ApiError ? err.message : 'Could not open the chat. Check your connection and try again.',
      );
    }
  }

  return (
    <nav aria-label="Conversations" className="flex h-full flex-col">
      <header className="flex items-center gap-3 px-3 pt-3 pb-2">
        <Avatar id={me.id} name={me.display_name} size={36} />
        <span className="min-w-0 flex-1 truncate font-semibold">{me.display_name}</span>
        <button
          onClick={() => setNewGroup(true)}
          aria-label="New group"
          title="New group"
          className="rounded-full p-2.5 text-accent hover:bg-accent-soft/60 dark:text-teal-400 dark:hover:bg-teal-900/40"
        >
          <UsersIcon />
        </button>
        <Menu>
          <p className="truncate px-4 py-2 text-sm text-neutral-500">@{me.username}</p>
          <button role="menuitem" onClick={() => onNavigate('/calls')} className={menuItem}>
            Calls
          </button>
          <button role="menuitem" onClick={() => onNavigate('/settings')} className={menuItem}>
            Settings
          </button>
          {me.role === 'admin' && (
            <button role="menuitem" onClick={() => onNavigate('/admin')} className={menuItem}>
              Admin
            </button>
          )}
          <button
            role="menuitem"
            onClick={() => {
              // Signing out on purpose forgets the drafts; a session that ends by itself keeps them.
              resetDrafts();
              void api.logout();
            }}
            className={menuItem}
          >
            Sign out
          </button>
        </Menu>
      </header>
      <VerifyEmailBanner me={me} />
      <SidebarSearch
        myId={me.id}
        activeId={activeId}
        onPickGroup={open}
        onPickPerson={(u) => void openDirect(u.id)}
        onPickMessage={async (conversationId, seq) => {
          setFailure(null);
          await focusMessage(conversationId, seq);
          onOpen(conversationId);
        }}
      >
        {failure && (
          <p
            role="alert"
            className="mx-3 mb-2 rounded-xl bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300"
          >
            {failure}
          </p>
        )}
        <ul
          className="min-h-0 flex-1 overflow-y-auto"
          aria-label="Chats"
          onPointerEnter={(e) => e.pointerType === 'mouse' && setHeld(newest.map((c) => c.id))}
          onPointerLeave={() => setHeld(null)}
          ref={letGoWhenGone}
        >
          {!loaded &&
            sorted.length === 0 &&
            Array.from({ length: 6 }, (_, i) => (
              <SkeletonRow key={i} avatar="h-11 w-11" lines={['w-1/2', 'w-3/4']} className="px-3 py-2.5" />
            ))}
          {loaded && sorted.length === 0 && (
            <li className="px-6 py-10 text-center text-sm text-neutral-500">
              No chats yet. Search for someone above to start one.
            </li>
          )}
          {sorted.map((c) => (
            <ConversationItem key={c.id} c={c} myId={me.id} active={c.id === activeId} onOpen={() => open(c.id)} />
          ))}
        </ul>
      </SidebarSearch>
      {newGroup && (
        <NewGroupDialog
          onClose={() => setNewGroup(false)}
          onCreated={(id) => {
            setNewGroup(false);
            onOpen(id);
          }}
        />
      )}
    </nav>
  );
}
