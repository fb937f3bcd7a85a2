import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import type { Conversation } from '../../../../protocol/conversations.js';
import { Avatar } from '../../components/Avatar';
import { ArrowDownIcon, BackIcon, PaperclipIcon, PhoneIcon, VideoIcon } from '../../components/Icons';
import { Menu, menuItem } from '../../components/Menu';
import { startCall } from '../../store/calls';
import { lastSeenLabel } from '../../components/format';
import { useMedia, WIDE } from '../../components/useMedia';
import { useStore } from '../../store/store';
import { presence, typingUsers } from '../../store/presence';
import { clearFocus, loadLatest, loadNewer, loadOlder, messages, openThread } from '../../store/messages';
import { connection, sendRead } from '../../store/chat';
import { compose } from '../../store/compose';
import { nameOf, peerOf, titleOf, typingText } from '../conversations/names';
import { eventText } from '../conversations/groupEvents';
import { MembersDialog } from '../conversations/MembersDialog';
import { LeaveGroupDialog } from '../conversations/LeaveGroupDialog';
import { ChatSearch } from '../search/ChatSearch';
import { Composer } from './Composer';
import { MessageRow, type Row } from './MessageRow';
import { MessageOverlays } from './MessageOverlays';
import { useFileDrop } from './useFileDrop';
import { useBottomOnResize } from './useBottomOnResize';
import { snippetOf } from './snippet';

type Panel = 'members' | 'leave' | 'search';

const BASE_INDEX = 1_000_000;
const CALL_BUTTONS = [
  { media: 'audio', label: 'Voice call', Icon: PhoneIcon },
  { media: 'video', label: 'Video call', Icon: VideoIcon },
] as const;
const LIST_COMPONENTS = { Footer: () => <div className="h-3" /> };

export function ConversationView({ c, myId, onBack }: { c: Conversation; myId: string; onBack: () => void }) {
  const thread = useStore(messages, (s) => s.threads[c.id]);
  const outbox = useStore(messages, (s) => s.outbox);
  // What the header opened (the members dialog, the leave confirmation, or the search bar),
  // for the conversation it was opened in: another conversation starts with none.
  const [opened, setOpened] = useState<{ id: string; panel: Panel } | null>(null);
  const panel = opened?.id === c.id ? opened.panel : null;
  const menuButton = useRef<HTMLButtonElement>(null);
  const openPanel = (p: Panel) => setOpened({ id: c.id, panel: p });
  /** Closes what is open in this conversation; focus goes back to the menu it came from. */
  const closePanel = () => {
    const id = c.id;
    setOpened((o) => (o?.id === id ? null : o));
    requestAnimationFrame(() => menuButton.current?.focus());
  };
  const [atBottom, setAtBottom] = useState(true);
  const atBottomRef = useRef(true);
  const [error, setError] = useState<string | null>(null);
  const list = useRef<VirtuosoHandle>(null);
  // A search result to show: the list restarts around it (`jump`) and it glows a moment.
  const focus = useStore(messages, (s) => (s.focus?.conversationId === c.id ? s.focus : null));
  const [jump, setJump] = useState<{ id: string; seq: number; nonce: number } | null>(null);
  const [highlightSeq, setHighlightSeq] = useState<number | null>(null);
  const focusReady = !!focus && !!thread?.items.some((m) => m.seq === focus.seq);
  // Which list is on screen: a focus inside it (a quote's original) scrolls there instead of
  // starting the list afresh around it.
  const shown = useRef<{ id: string; version: number } | null>(null);
  const focusInPlace =
    focusReady && shown.current?.id === c.id && shown.current.version === (thread?.version ?? 0) && !!list.current;
  const me = c.members.find((m) => m.id === myId);
  // The "new messages" divider marks where unread began when the conversation was opened.
  const firstUnread = useRef<{ id: string; seq: number | null }>({ id: '', seq: null });
  if (firstUnread.current.id !== c.id) {
    firstUnread.current = { id: c.id, seq: me && me.read_seq < c.last_seq ? me.read_seq + 1 : null };
  }

  useEffect(() => {
    setError(null);
    // `focus` as this render saw it: StrictMode runs the effect twice, after the focus was taken.
    openThread(c.id, !!focus).catch(() => setError('Could not load messages. Check your connection.'));
  }, [c.id]);
  // After openThread (which keeps a window only while a focus is pending).
  useEffect(() => {
    if (!focus || !focusReady) return;
    if (focusInPlace) {
      const index = thread?.items.findIndex((m) => m.seq === focus.seq) ?? -1;
      list.current?.scrollToIndex({ index, align: 'center', behavior: 'smooth' });
    } else {
      setJump({ id: c.id, seq: focus.seq, nonce: focus.nonce });
    }
    setHighlightSeq(focus.seq);
    clearFocus();
  }, [focus, focusReady, focusInPlace, thread, c.id]);
  useEffect(() => {
    if (highlightSeq === null) return;
    const t = setTimeout(() => setHighlightSeq(null), 2500);
    return () => clearTimeout(t);
  }, [highlightSeq, jump]);
  // A jump belongs to one visit of its conversation.
  useEffect(() => setJump((j) => (j?.id === c.id ? j : null)), [c.id]);
  // The message being edited is in view (↑ in the composer picks one that may be far above).
  const editing = useStore(compose, (s) => (s.intents[c.id]?.kind === 'edit' ? s.intents[c.id]!.message.seq : null));
  useEffect(() => {
    const index = editing === null ? -1 : (thread?.items.findIndex((m) => m.seq === editing) ?? -1);
    if (index < 0) return;
    // A frame later than the editing bar's: the list, shortened by it, keeps to its end first
    // (useBottomOnResize), and would undo a scroll begun before.
    let frame = requestAnimationFrame(() => {
      frame = requestAnimationFrame(() => list.current?.scrollIntoView({ index, behavior: 'smooth' }));
    });
    return () => cancelAnimationFrame(frame);
  }, [editing]);

  const rows: Row[] = useMemo(() => {
    const stored: Row[] = (thread?.items ?? []).map((m) => ({ kind: 'message', m }));
    // A send whose stored copy is here already shows once (the list's keys stay unique).
    const held = new Set(thread?.items.map((m) => `${m.sender_id}:${m.client_id}`));
    const pending: Row[] = outbox
      .filter((p) => p.conversation_id === c.id && p.user_id === myId && !held.has(`${p.user_id}:${p.client_id}`))
      .map((p) => ({ kind: 'pending', p }));
    return [...stored, ...pending];
  }, [thread, outbox, c.id]);
  const lastSeq = thread?.items.at(-1)?.seq ?? 0;
  const firstSeq = thread?.items[0]?.seq ?? 1;
  const hasNewer = !!thread?.hasNewer;
  // The focus is adopted in an effect; using it at once spares the list a second mount.
  const activeJump = focus && focusReady && !focusInPlace ? focus : jump?.id === c.id ? jump : null;
  const jumpIndex = activeJump ? (thread?.items.findIndex((m) => m.seq === activeJump.seq) ?? -1) : -1;
  const shownHighlight = focus && focusReady ? focus.seq : highlightSeq;
  useEffect(() => {
    shown.current = rows.length > 0 ? { id: c.id, version: thread?.version ?? 0 } : null;
  });

  // Files dragged over the conversation: an overlay says where to drop them.
  const { dragging, handlers: drop } = useFileDrop(c.id);
  const scrollerRef = useBottomOnResize(!hasNewer);

  async function toLatest() {
    if (hasNewer) {
      setJump(null);
      await loadLatest(c.id).catch(() => setError('Could not load messages. Check your connection.'));
    } else {
      // At once, and to the last row's end: a smooth scroll aims at heights still estimated for
      // the rows it has not drawn, and could stop a row short of the bottom.
      list.current?.scrollToIndex({ index: 'LAST', align: 'end' });
    }
  }

  // Read receipts: what is on screen at the bottom, while the page is visible.
  const myRead = me?.read_seq ?? 0;
  const link = useStore(connection, (s) => s.status);
  const [connected, offline] = [link === 'online', link === 'offline'];
  useEffect(() => {
    const mark = () => {
      if (connected && atBottom && !hasNewer && lastSeq > myRead && document.visibilityState === 'visible')
        sendRead(c.id, lastSeq);
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [atBottom, hasNewer, lastSeq, myRead, c.id, connected]);

  // Messages that could not be loaded are loaded again once the connection is back (or at
  // once, if it was up). An answer for a conversation left meanwhile clears no error.
  const shownId = useRef(c.id);
  shownId.current = c.id;
  const retryLoad = () => {
    const id = c.id;
    return openThread(id).then(
      () => shownId.current === id && setError(null),
      () => {},
    );
  };
  useEffect(() => {
    if (connected && error) void retryLoad();
  }, [connected, error, c.id]);

  const atLatest = atBottom && !hasNewer;
  const newWhileUp = atLatest ? 0 : Math.max(0, Math.max(lastSeq, c.last_seq) - myRead);
  const latestIncoming = [...(thread?.items ?? [])].reverse().find((m) => m.sender_id !== myId);

  return (
    <section
      className="relative flex h-full min-w-0 flex-1 flex-col bg-[#efeae2] dark:bg-neutral-950"
      aria-label={titleOf(c, myId)}
      {...drop}
    >
      {panel === 'search' ? (
        <ChatSearch key={c.id} c={c} myId={myId} onClose={closePanel} />
      ) : (
        <Header c={c} myId={myId} onBack={onBack} onOpen={openPanel} menuButton={menuButton} />
      )}
      <div className="relative min-h-0 flex-1">
        {error &&
          (offline ? (
            // Offline is said once, by the banner; they load by themselves once it is back.
            <div
              role="status"
              className="absolute inset-x-3 top-2 z-10 mx-auto w-fit rounded-2xl bg-neutral-700 px-4 py-1.5 text-center text-sm text-white shadow"
            >
              Messages will load when you are back online.
            </div>
          ) : (
            <div
              role="alert"
              className="absolute inset-x-3 top-2 z-10 mx-auto w-fit rounded-2xl bg-red-600 px-4 py-1.5 text-center text-sm text-white shadow"
            >
              {error}{' '}
              <button className="font-semibold underline" onClick={() => void retryLoad()}>
                Retry
              </button>
            </div>
          ))}
        {!thread?.loaded && rows.length === 0 ? (
          // Placeholders while loading; none once loading failed (the error says so).
          <div className={`space-y-3 p-6 ${error ? 'invisible' : ''}`} aria-hidden="true">
            {[40, 60, 30, 55].map((w, i) => (
              <div
                key={i}
                className={`h-9 animate-pulse rounded-2xl bg-white/70 dark:bg-neutral-800 ${i % 2 ? 'ml-auto' : ''}`}
                style={{ width: `${w}%` }}
              />
            ))}
          </div>
        ) : rows.length === 0 ? (
          <div className="flex h-full items-center justify-center p-6 text-center text-neutral-600 dark:text-neutral-400">
            <p>No messages yet. Say hello to start the conversation.</p>
          </div>
        ) : (
          <Virtuoso
            key={`${c.id}:${thread?.version ?? 0}:${jumpIndex >= 0 ? activeJump!.nonce : 0}`}
            ref={list}
            scrollerRef={scrollerRef}
            className="h-full"
            data={rows}
            firstItemIndex={BASE_INDEX + firstSeq}
            // Aligned to the end: a last message taller than the screen still opens at the bottom
            // (and so keeps following new ones). A search result opens centred on its message.
            initialTopMostItemIndex={
              jumpIndex >= 0 ? { index: jumpIndex, align: 'center' } : { index: 'LAST', align: 'end' }
            }
            // One's own message always brings the view to it, at once: a smooth scroll still
            // running when the next arrives (sending fast) would leave the bottom behind.
            followOutput={(isAtBottom) => {
              if (hasNewer) return false;
              const last = rows.at(-1);
              if (last && (last.kind === 'pending' || last.m.sender_id === myId)) return 'auto';
              return isAtBottom ? 'smooth' : false;
            }}
            atBottomStateChange={(bottom) => {
              atBottomRef.current = bottom;
              setAtBottom(bottom);
            }}
            // A reaction or an edit that makes the last messages taller keeps the bottom in view.
            totalListHeightChanged={() => {
              if (atBottomRef.current && !hasNewer) list.current?.scrollToIndex({ index: 'LAST', align: 'end' });
            }}
            atBottomThreshold={48}
            startReached={() => void loadOlder(c.id).catch(() => {})}
            endReached={() => void loadNewer(c.id).catch(() => {})}
            computeItemKey={(_, r) =>
              r.kind === 'message' ? `${r.m.sender_id}:${r.m.client_id ?? r.m.id}` : `${r.p.user_id}:${r.p.client_id}`
            }
            itemContent={(index, row) => {
              const i = index - BASE_INDEX - firstSeq;
              return (
                <MessageRow
                  row={row}
                  prev={i > 0 ? rows[i - 1] : undefined}
                  c={c}
                  myId={myId}
                  firstUnreadSeq={firstUnread.current.seq}
                  highlighted={row.kind === 'message' && row.m.seq === shownHighlight}
                />
              );
            }}
            components={LIST_COMPONENTS}
          />
        )}
        {!atLatest && rows.length > 0 && (
          <button
            aria-label={newWhileUp ? `Jump to latest, ${newWhileUp} new` : 'Jump to latest'}
            onClick={() => void toLatest()}
            className="absolute right-4 bottom-4 flex h-11 w-11 items-center justify-center rounded-full bg-white text-neutral-700 shadow-md dark:bg-neutral-800 dark:text-neutral-200"
          >
            <ArrowDownIcon />
            {newWhileUp > 0 && (
              <span className="absolute -top-1 -right-1 rounded-full bg-accent px-1.5 text-xs font-semibold text-white">
                {newWhileUp}
              </span>
            )}
          </button>
        )}
      </div>
      <div className="sr-only" aria-live="polite">
        {latestIncoming
          ? latestIncoming.message_type === 'event'
            ? eventText(latestIncoming.content, latestIncoming.sender_id, myId, (id) => nameOf(c, id))
            : `${nameOf(c, latestIncoming.sender_id)}: ${snippetOf({ ...latestIncoming, deleted: !!latestIncoming.deleted_at })}`
          : ''}
      </div>
      <Composer c={c} myId={myId} />
      <MessageOverlays c={c} myId={myId} />
      {dragging && (
        <div
          data-testid="drop-overlay"
          className="pointer-events-none absolute inset-2 z-30 flex flex-col items-center justify-center gap-2 rounded-2xl border-2 border-dashed border-accent bg-white/85 text-accent-strong dark:border-teal-400 dark:bg-neutral-900/85 dark:text-teal-200"
        >
          <PaperclipIcon />
          <p className="text-lg font-semibold">Drop files to send</p>
          <p className="text-sm text-neutral-600 dark:text-neutral-300">to {titleOf(c, myId)}</p>
        </div>
      )}
      {panel === 'members' && (
        <MembersDialog c={c} myId={myId} onClose={closePanel} onLeave={() => openPanel('leave')} />
      )}
      {panel === 'leave' && <LeaveGroupDialog c={c} onClose={closePanel} />}
    </section>
  );
}

function Header({
  c,
  myId,
  onBack,
  onOpen,
  menuButton,
}: {
  c: Conversation;
  myId: string;
  onBack: () => void;
  onOpen: (panel: Panel) => void;
  menuButton: RefObject<HTMLButtonElement | null>;
}) {
  const peer = peerOf(c, myId);
  const title = titleOf(c, myId);
  const link = useStore(connection, (s) => s.status);
  // Two panes: room for the long "last seen today at 14:02".
  const wide = useMedia(WIDE);
  const presenceStatus = useStore(presence, (s) => {
    const typing = typingUsers(s, c.id).filter((id) => id !== myId);
    if (typing.length) return typingText(c, typing);
    if (peer)
      return s.online[peer.id] ? 'online' : lastSeenLabel(s.lastSeen[peer.id] ?? peer.last_seen_at, new Date(), !wide);
    const online = c.members.filter((m) => m.id !== myId && s.online[m.id]).length + 1;
    const n = c.members.length;
    return `${n} ${n === 1 ? 'member' : 'members'}, ${online} online`;
  });
  // The banner above says why; the header says it in a word, as phones do.
  const status = link === 'online' ? presenceStatus : link === 'offline' ? 'waiting for network' : 'connecting…';
  const isTyping = status.endsWith('typing…');
  return (
    <header className="flex items-center gap-2 border-b border-neutral-200 bg-white px-2 py-2 dark:border-neutral-800 dark:bg-neutral-900">
      <button
        aria-label="Back"
        onClick={onBack}
        className="rounded-full p-2.5 hover:bg-neutral-100 wide:hidden dark:hover:bg-neutral-800"
      >
        <BackIcon />
      </button>
      <Avatar id={peer?.id ?? c.id} name={title} size={40} />
      <div className="min-w-0 flex-1 pl-1">
        <h2 className="truncate font-semibold">{title}</h2>
        <p
          data-testid="status-line"
          className={`truncate text-[13px] ${isTyping || status === 'online' ? 'text-accent dark:text-teal-400' : 'text-neutral-500'}`}
        >
          {status}
        </p>
      </div>
      {peer &&
        CALL_BUTTONS.map(({ media, label, Icon }) => (
          <button
            key={media}
            aria-label={label}
            title={label}
            onClick={() => void startCall(c.id, peer.id, media)}
            className="rounded-full p-2.5 hover:bg-neutral-100 dark:hover:bg-neutral-800"
          >
            <Icon />
          </button>
        ))}
      <Menu label="Chat options" buttonRef={menuButton}>
        <button role="menuitem" onClick={() => onOpen('search')} className={menuItem}>
          Search in chat
        </button>
        {c.type === 'group' && (
          <>
            <button role="menuitem" onClick={() => onOpen('members')} className={menuItem}>
              Members
            </button>
            <button
              role="menuitem"
              onClick={() => onOpen('leave')}
              className={`${menuItem} text-red-600 dark:text-red-400`}
            >
              Leave group
            </button>
          </>
        )}
      </Menu>
    </header>
  );
}
