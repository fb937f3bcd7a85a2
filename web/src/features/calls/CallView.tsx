import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Conversation } from '../../../../protocol/conversations.js';
import { Avatar } from '../../components/Avatar';
import { CameraIcon, HangUpIcon, MicIcon } from '../../components/Icons';
import { useStore } from '../../store/store';
import { conversations } from '../../store/conversations';
import { presence } from '../../store/presence';
import { connection } from '../../store/chat';
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

/** A round call control with its name under it (the name is the button's accessible name). */
function Control({
  label,
  onClick,
  pressed,
  tone,
  children,
}: {
  label: string;
  onClick: () => void;
  pressed?: boolean;
  tone: string;
  children: ReactNode;
}) {
  return (
    <button
      onClick={onClick}
      aria-pressed={pressed}
      className="group flex w-20 flex-col items-center gap-1.5 text-xs font-medium text-neutral-200 outline-none"
    >
      <span
        className={`flex h-14 w-14 items-center justify-center rounded-full shadow-lg group-focus-visible:ring-2 group-focus-visible:ring-white ${tone}`}
      >
        {children}
      </span>
      {label}
    </button>
  );
}

/** The incoming-call dialog and the full-screen in-call view. */
export function CallLayer() {
  const c = useStore(call, (s) => s);
  const byId = useStore(conversations, (s) => s.byId);
  const timer = useTimer(c?.connectedAt);
  const peerOnline = useStore(presence, (p) => !!c && !!p.online[c.peerId]);
  // This device's connection to the server: a call goes on while it is back within a while.
  const link = useStore(connection, (s) => s.status);
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
      : c.phase === 'connected' && link !== 'online'
        ? `Reconnecting… ${timer}`
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
          <>
            {/* Kept playing while their camera is off: it carries their voice. */}
            <Video
              stream={c.remoteStream}
              label="Remote video"
              className={c.peerCameraOff ? 'hidden' : 'h-full w-full bg-black object-contain'}
            />
            {c.peerCameraOff && (
              <div className="flex h-full flex-col items-center justify-center gap-4" data-testid="peer-camera-off">
                <Avatar id={c.peerId} name={name} size={112} />
                <p className="text-sm text-neutral-300">Camera off</p>
              </div>
            )}
          </>
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
          {c.peerMuted && c.phase !== 'ended' && (
            <p data-testid="peer-muted" role="status" className="mt-1 text-sm text-neutral-300">
              {name} is muted
            </p>
          )}
          {/* No device of theirs will ring: say so, rather than ring out for half a minute. */}
          {c.direction === 'outgoing' && c.phase === 'ringing' && !peerOnline && (
            <p data-testid="call-hint" role="status" className="mx-auto mt-2 max-w-xs text-sm text-neutral-300">
              {name} is offline. If nobody answers, they will see a missed call.
            </p>
          )}
        </div>
        {showVideo && c.localStream && (
          <div className="absolute right-4 bottom-4 w-28 overflow-hidden rounded-xl border border-white/30 bg-black shadow-lg sm:w-44">
            <Video stream={c.localStream} muted label="Your camera" className="block w-full" />
            {c.cameraOff && (
              <p className="absolute inset-0 flex items-center justify-center bg-neutral-900 text-xs text-neutral-300">
                Your camera is off
              </p>
            )}
          </div>
        )}
      </div>
      <div className="flex items-start justify-center gap-4 p-5 pb-[max(1.25rem,env(safe-area-inset-bottom))]">
        {c.phase !== 'ended' && (
          <>
            <Control
              label={c.muted ? 'Unmute' : 'Mute'}
              onClick={toggleMute}
              pressed={c.muted}
              tone={c.muted ? 'bg-white text-neutral-900' : 'bg-white/15'}
            >
              <MicIcon off={c.muted} />
            </Control>
            {showVideo && (
              <Control
                label={c.cameraOff ? 'Camera on' : 'Camera off'}
                onClick={toggleCamera}
                pressed={c.cameraOff}
                tone={c.cameraOff ? 'bg-white text-neutral-900' : 'bg-white/15'}
              >
                <CameraIcon off={c.cameraOff} />
              </Control>
            )}
            <Control label="Hang up" onClick={hangUp} tone="bg-red-600">
              <HangUpIcon />
            </Control>
          </>
        )}
      </div>
    </div>
  );
}
