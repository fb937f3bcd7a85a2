import { useEffect, useRef, useState } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { Avatar } from '../../components/Avatar';
import { useStore } from '../../store/store';
import { conversations } from '../../store/conversations';
import { presence } from '../../store/presence';
import { acceptCall, call, declineCall, hangUp, toggleCamera, toggleMute } from '../../store/calls';

function Video({
  stream,
  muted,
  className,
  label,
}: {
  stream?: MediaStream;
  muted?: boolean;
  className: string;
  label: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current && stream && ref.current.srcObject !== stream) ref.current.srcObject = stream;
  }, [stream]);
  return <video ref={ref} autoPlay playsInline muted={muted} aria-label={label} className={className} />;
}

const peerName = (byId: Record<string, Conversation>, conversationId: string, peerId: string) =>
  byId[conversationId]?.members.find((m) => m.id === peerId)?.display_name ?? 'Someone';

function useTimer(since?: number) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (!since) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [since]);
  if (!since) return '';
  const s = Math.floor((Date.now() - since) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const button = 'flex h-14 w-14 items-center justify-center rounded-full text-sm font-semibold shadow-lg';

/** The incoming-call dialog and the full-screen in-call view. */
export function CallLayer() {
  const c = useStore(call, (s) => s);
  const byId = useStore(conversations, (s) => s.byId);
  const timer = useTimer(c?.connectedAt);
  const peerOnline = useStore(presence, (p) => !!c && !!p.online[c.peerId]);
  if (!c) return null;
  const name = peerName(byId, c.conversationId, c.peerId);
  const kind = c.media === 'video' ? 'Video call' : 'Voice call';

  if (c.direction === 'incoming' && c.phase === 'ringing') {
    return (
      // The strip around the card lets clicks through: the page under it (its menu, a chat's
      // header) stays usable while the call rings.
      <div
        role="dialog"
        aria-label="Incoming call"
        className="pointer-events-none fixed inset-x-0 top-0 z-50 flex justify-center p-3"
      >
        {/* On a phone the buttons take a row of their own: the caller's name keeps the width. */}
        <div className="pointer-events-auto flex w-full max-w-md flex-wrap items-center gap-3 rounded-2xl bg-neutral-900 p-4 text-white shadow-2xl sm:flex-nowrap">
          <Avatar id={c.peerId} name={name} size={48} />
          <div className="min-w-0 flex-1">
            <p className="truncate font-semibold">{name}</p>
            <p className="text-sm text-neutral-300">Incoming {kind.toLowerCase()}…</p>
          </div>
          <div className="flex w-full gap-3 sm:w-auto">
            <button
              onClick={declineCall}
              className="flex-1 rounded-full bg-red-600 px-4 py-2 font-semibold sm:flex-none"
            >
              Decline
            </button>
            <button
              onClick={() => void acceptCall()}
              className="flex-1 rounded-full bg-green-600 px-4 py-2 font-semibold sm:flex-none"
            >
              Accept
            </button>
          </div>
        </div>
      </div>
    );
  }

  const status =
    c.phase === 'ended'
      ? c.notice
      : c.phase === 'connected'
        ? timer
        : c.direction === 'outgoing' && c.phase === 'ringing'
          ? 'Calling…'
          : 'Connecting…';
  const showVideo = c.media === 'video';
  return (
    <div
      role="dialog"
      aria-label={`${kind} with ${name}`}
      className="fixed inset-0 z-50 flex flex-col bg-neutral-950 text-white"
    >
      <div className="relative min-h-0 flex-1">
        {showVideo && c.remoteStream && c.phase !== 'ended' ? (
          <Video stream={c.remoteStream} label="Remote video" className="h-full w-full bg-black object-contain" />
        ) : (
          <div className="flex h-full flex-col items-center justify-center gap-4">
            <Avatar id={c.peerId} name={name} size={112} />
            {!showVideo && c.remoteStream && <Video stream={c.remoteStream} label="Remote audio" className="hidden" />}
          </div>
        )}
        <div className="absolute inset-x-0 top-0 bg-gradient-to-b from-black/70 to-transparent p-5 text-center">
          <p className="text-xl font-semibold">{name}</p>
          <p data-testid="call-status" className="text-sm text-neutral-200" aria-live="polite">
            {status}
          </p>
          {/* No device of theirs will ring: say so, rather than ring out for half a minute. */}
          {c.direction === 'outgoing' && c.phase === 'ringing' && !peerOnline && (
            <p data-testid="call-hint" role="status" className="mx-auto mt-2 max-w-xs text-sm text-neutral-300">
              {name} is offline. If nobody answers, they will see a missed call.
            </p>
          )}
        </div>
        {showVideo && c.localStream && (
          <Video
            stream={c.localStream}
            muted
            label="Your camera"
            className="absolute right-4 bottom-4 w-28 rounded-xl border border-white/30 bg-black shadow-lg sm:w-44"
          />
        )}
      </div>
      <div className="flex items-center justify-center gap-5 p-6 pb-[max(1.5rem,env(safe-area-inset-bottom))]">
        {c.phase !== 'ended' && (
          <>
            <button
              onClick={toggleMute}
              aria-pressed={c.muted}
              className={`${button} ${c.muted ? 'bg-white text-neutral-900' : 'bg-white/15'}`}
            >
              {c.muted ? 'Unmute' : 'Mute'}
            </button>
            {showVideo && (
              <button
                onClick={toggleCamera}
                aria-pressed={c.cameraOff}
                className={`${button} px-2 text-xs ${c.cameraOff ? 'bg-white text-neutral-900' : 'bg-white/15'}`}
              >
                {c.cameraOff ? 'Camera on' : 'Camera off'}
              </button>
            )}
            <button onClick={hangUp} className={`${button} bg-red-600 px-2 text-xs`}>
              Hang up
            </button>
          </>
        )}
      </div>
    </div>
  );
}
