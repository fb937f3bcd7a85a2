import type { Call, IceServers } from '../../../protocol/calls.js';
import type { ServerFrame } from '../../../protocol/frames.js';
import { api } from '../api/rest';
import type { ChatSocket } from '../api/socket';
import { newClientId } from '../components/ids';
import { callProblem } from './callProblem';
import { createStore } from './store';

export type CallPhase = 'ringing' | 'connecting' | 'connected' | 'ended';

export interface CallState {
  callId: string;
  conversationId: string;
  peerId: string;
  media: 'audio' | 'video';
  direction: 'outgoing' | 'incoming';
  phase: CallPhase;
  /** Shown when the call ends or fails: "Declined", "No answer", "Camera or microphone blocked"… */
  notice?: string;
  connectedAt?: number;
  muted: boolean;
  cameraOff: boolean;
  /** The other side's microphone and camera, as they last told us (`call_media`). */
  peerMuted: boolean;
  peerCameraOff: boolean;
  localStream?: MediaStream;
  remoteStream?: MediaStream;
  offer?: RTCSessionDescriptionInit;
}

export const call = createStore<CallState | null>(null);

/**
 * Counts the call frames this device has heard that follow a change the server has saved (a
 * call rings, is answered, ends): the Calls page loads its list again on each.
 */
export const callEvents = createStore(0);

let socket: ChatSocket;
let pc: RTCPeerConnection | null = null;
let answered = false;
let outgoingIce: RTCIceCandidateInit[] = [];
let incomingIce: RTCIceCandidateInit[] = [];

const update = (patch: Partial<CallState>) => call.set((c) => (c ? { ...c, ...patch } : c));

/** Tests (and the curious) can read the peer connection's stats. */
declare global {
  interface Window {
    __chatifyCall?: { pc: RTCPeerConnection | null };
  }
}

async function media(kind: 'audio' | 'video'): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: true, video: kind === 'video' });
}

async function peer(): Promise<RTCPeerConnection> {
  const ice = await api.get<IceServers>('/api/calls/ice-servers');
  const conn = new RTCPeerConnection({
    iceServers: ice.ice_servers as RTCIceServer[],
    iceTransportPolicy: ice.ice_transport_policy,
  });
  window.__chatifyCall = { pc: conn };
  const remote = new MediaStream();
  update({ remoteStream: remote });
  conn.ontrack = (e) => {
    remote.addTrack(e.track);
    update({ remoteStream: remote });
  };
  conn.onicecandidate = (e) => {
    if (!e.candidate) return;
    const c = call.get();
    if (!c) return;
    // Until the other side answers there is no device to send candidates to.
    if (answered) socket.send('ice_candidate', { call_id: c.callId, candidate: e.candidate.toJSON() });
    else outgoingIce.push(e.candidate.toJSON());
  };
  conn.onconnectionstatechange = () => {
    if (conn.connectionState === 'connected')
      update({ phase: 'connected', connectedAt: call.get()?.connectedAt ?? Date.now() });
    if (conn.connectionState === 'failed') {
      const c = call.get();
      if (c) socket.send('call_end', { call_id: c.callId });
      finish('The connection failed (no network path between you; a TURN server may be needed)');
    }
  };
  return conn;
}

export async function startCall(conversationId: string, peerId: string, kind: 'audio' | 'video') {
  if (call.get() && call.get()!.phase !== 'ended') return;
  const callId = newClientId();
  answered = false;
  outgoingIce = [];
  incomingIce = [];
  call.set(() => ({
    callId,
    conversationId,
    peerId,
    media: kind,
    direction: 'outgoing',
    phase: 'ringing',
    muted: false,
    cameraOff: false,
    peerMuted: false,
    peerCameraOff: false,
  }));
  // Hung up meanwhile (finish() has run): what this call started since is stopped here, and
  // nothing is sent.
  const current = () => {
    const now = call.get();
    return now?.callId === callId && now.phase !== 'ended';
  };
  if (!socket.isOnline) return finish('You are offline: the call could not start');
  try {
    const local = await media(kind);
    if (!current()) return local.getTracks().forEach((t) => t.stop());
    update({ localStream: local });
    const conn = await peer();
    if (!current()) return conn.close();
    pc = conn;
    for (const track of local.getTracks()) conn.addTrack(track, local);
    const offer = await conn.createOffer();
    await conn.setLocalDescription(offer);
    if (!current()) return;
    // The server answers an offer it refuses (already in a call, offline, rate limited) with an
    // error: the caller is told, instead of "Calling…" that never ends. An offer it takes gets
    // no reply (`call_ringing` comes as a frame of its own): the request just times out.
    if (!socket.isOnline) return finish('You are offline: the call could not start');
    void socket
      .request('call_offer', {
        call_id: callId,
        conversation_id: conversationId,
        media: kind,
        offer: conn.localDescription?.toJSON(),
      })
      .then((reply) => {
        const now = call.get();
        if (reply?.type !== 'error' || now?.callId !== callId || now.phase !== 'ringing') return;
        // Whatever part of the call the server did record goes too (a cancel of no call is refused, harmlessly).
        socket.send('call_cancel', { call_id: callId });
        finish(reply.payload.message);
      });
  } catch (err) {
    if (current()) finish(callProblem(err));
  }
}

export async function acceptCall() {
  const c = call.get();
  if (!c || c.direction !== 'incoming' || c.phase !== 'ringing' || !c.offer) return;
  update({ phase: 'connecting' });
  try {
    const local = await media(c.media);
    update({ localStream: local });
    answered = true;
    pc = await peer();
    for (const track of local.getTracks()) pc.addTrack(track, local);
    await applyRemote(pc, c.offer);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    socket.send('call_answer', { call_id: c.callId, answer: pc.localDescription?.toJSON() });
  } catch (err) {
    socket.send('call_decline', { call_id: c.callId });
    finish(callProblem(err));
  }
}

export function declineCall() {
  const c = call.get();
  if (c) socket.send('call_decline', { call_id: c.callId });
  finish();
}

export function hangUp() {
  const c = call.get();
  if (!c) return;
  socket.send(c.direction === 'outgoing' && c.phase === 'ringing' ? 'call_cancel' : 'call_end', { call_id: c.callId });
  finish();
}

export function toggleMute() {
  const c = call.get();
  if (!c?.localStream) return;
  const muted = !c.muted;
  for (const t of c.localStream.getAudioTracks()) t.enabled = !muted;
  update({ muted });
  tellMedia();
}

export function toggleCamera() {
  const c = call.get();
  if (!c?.localStream) return;
  const cameraOff = !c.cameraOff;
  for (const t of c.localStream.getVideoTracks()) t.enabled = !cameraOff;
  update({ cameraOff });
  tellMedia();
}

/**
 * Tells the other side whether this device's microphone and camera are on, so that it shows
 * "camera off" rather than the black frames a disabled camera sends. Only once they have
 * answered (there is no device to tell before); then once, if either was turned off meanwhile.
 */
function tellMedia() {
  const c = call.get();
  if (c && answered) socket.send('call_media', { call_id: c.callId, muted: c.muted, camera_off: c.cameraOff });
}

/** Ends locally: stops media, closes the connection, shows `notice` for a moment. */
function finish(notice?: string) {
  const c = call.get();
  pc?.close();
  pc = null;
  for (const t of c?.localStream?.getTracks() ?? []) t.stop();
  if (!c) return;
  if (!notice) return call.set(() => null);
  update({ phase: 'ended', notice, localStream: undefined });
  setTimeout(() => call.set((cur) => (cur?.callId === c.callId ? null : cur)), 2500);
}

/**
 * The socket came back (a new socket: the server no longer knows the old one), or, on the same
 * socket, the server says frames may have been lost between its nodes (`resync`). Frames of
 * the call sent meanwhile are lost, so the call on screen is checked against the server's
 * record. A ringing call that is still ringing goes on (after a reconnect the server offers it
 * to the new socket again, which changes nothing here); one that ended meanwhile ends here as
 * its frame would have ended it; an answered call this device is in is rejoined on the new
 * socket (decision 044), and ends ("Call dropped") if the server ended it meanwhile. A call the
 * server never heard of cannot go on either if its offer went with the old socket; on the
 * same socket the offer is still on its way, and the call goes on.
 */
async function recheckAfterReconnect(sameSocket: boolean) {
  const c = call.get();
  if (!c || c.phase === 'ended') return;
  const { calls } = await api.get<{ calls: Call[] }>('/api/calls');
  const now = call.get();
  if (now?.callId !== c.callId || now.phase === 'ended') return;
  const saved = calls.find((x) => x.id === c.callId);
  if (saved?.state === 'ringing') return;
  if (saved?.state === 'accepted') {
    // Answered: by another device of this person's (nothing more to do here), by this device
    // before it dropped, or for this caller, whose answer was lost with the old socket.
    if (c.direction === 'incoming' && c.phase === 'ringing') return finish();
    if (c.direction === 'outgoing' && !answered) {
      // The answer went with the old socket: this call cannot be set up.
      socket.send('call_end', { call_id: c.callId });
      return finish('Call dropped');
    }
    // This device's call: back in it on this socket (the server waits for that a while,
    // decision 044), while the media goes on peer to peer if the network let it.
    const reply = await socket.request('call_rejoin', { call_id: c.callId }, 5000);
    if (call.get()?.callId !== c.callId) return;
    if (reply?.type === 'error') return finish('Call dropped');
    // The state of this side's microphone and camera, which the other side may have missed.
    return tellMedia();
  }
  if (c.direction === 'incoming' && c.phase === 'ringing') {
    return finish(saved?.state === 'missed' ? NOTICES.call_missed : undefined);
  }
  if (!saved && c.direction === 'outgoing') {
    if (sameSocket) return; // the offer went before the question, on this socket: it is being stored
    // An offer the server had not stored when it was asked may still be on its way (sent on the
    // new socket): the cancel follows it there, so the callee does not ring for nobody.
    socket.send('call_cancel', { call_id: c.callId });
  }
  const notice =
    saved?.state === 'declined'
      ? NOTICES.call_decline
      : saved?.state === 'missed'
        ? NOTICES.call_missed
        : saved?.state === 'busy'
          ? NOTICES.call_busy
          : saved?.state === 'ended' && saved.end_reason === 'hangup'
            ? 'Call ended' // hung up while this device was away
            : 'Call dropped';
  finish(notice);
}

const NOTICES: Partial<Record<ServerFrame['type'], string>> = {
  call_decline: 'Call declined',
  call_busy: 'Busy: they are on another call',
  call_missed: 'No answer',
};

/**
 * Sets the other side's description, then adds the candidates that came before it. The
 * callee can send candidates before its answer arrives, and more arrive while the answer is
 * being applied (they wait in `incomingIce`: the connection has no remote description yet);
 * a relay-only peer drops checks from a relay it was never told about, so a lost candidate
 * is a call that never connects. (A connection closed meanwhile never settles this: the
 * call has ended, and nothing waits for it.)
 */
async function applyRemote(conn: RTCPeerConnection, desc: RTCSessionDescriptionInit) {
  await conn.setRemoteDescription(desc);
  if (conn !== pc) return; // another call since: its candidates are not ours
  for (const cand of incomingIce.splice(0)) await conn.addIceCandidate(cand).catch(() => {});
}

/** Routes call frames from the socket into the call state. */
export function attachCalls(s: ChatSocket) {
  socket = s;
  s.onFrame((f) => void onCallFrame(f));
}

// Leaving the page (a reload, the tab closed) hangs up while the socket can still say so: the
// server would otherwise keep the call for a device that may come back (decision 044).
if (typeof window !== 'undefined')
  window.addEventListener('pagehide', () => {
    const c = call.get();
    // Not a call ringing here: it still rings on the person's other devices, and here again.
    if (!c || c.phase === 'ended' || (c.direction === 'incoming' && c.phase === 'ringing') || !socket) return;
    hangUp();
  });

const SAVED_CHANGES = new Set<ServerFrame['type']>([
  'call_offer',
  'call_ringing',
  'call_answer',
  'call_answered_elsewhere',
  'call_end',
  'call_cancel',
  'call_decline',
  'call_busy',
  'call_missed',
]);

async function onCallFrame(f: ServerFrame) {
  if (SAVED_CHANGES.has(f.type)) callEvents.set((n) => n + 1);
  if (f.type === 'ready') return void recheckAfterReconnect(false).catch(() => {});
  // Before `ready`, the check at `ready` covers it (and the server offers a new socket what rings).
  if (f.type === 'resync' && socket.isOnline) {
    // An offer lost between nodes never rang here: the server offers again what rings now.
    const c = call.get();
    if (!c || c.phase === 'ended') socket.send('ringing_calls', {});
    return void recheckAfterReconnect(true).catch(() => {});
  }
  const c = call.get();
  if (f.type === 'call_offer') {
    if (c && c.phase !== 'ended') return; // the server already sends busy for a second call
    answered = false;
    outgoingIce = [];
    incomingIce = [];
    call.set(() => ({
      callId: f.payload.call_id,
      conversationId: f.payload.conversation_id,
      peerId: f.payload.caller_id,
      media: f.payload.media,
      direction: 'incoming',
      phase: 'ringing',
      muted: false,
      cameraOff: false,
      peerMuted: false,
      peerCameraOff: false,
      offer: f.payload.offer as RTCSessionDescriptionInit,
    }));
    return;
  }
  if (!c || !('call_id' in f.payload) || f.payload.call_id !== c.callId) return;
  switch (f.type) {
    case 'call_answer':
      answered = true;
      update({ phase: 'connecting' });
      for (const cand of outgoingIce.splice(0)) socket.send('ice_candidate', { call_id: c.callId, candidate: cand });
      if (c.muted || c.cameraOff) tellMedia();
      if (pc) {
        await applyRemote(pc, f.payload.answer as RTCSessionDescriptionInit).catch(() => {
          socket.send('call_end', { call_id: c.callId });
          finish('The call could not be connected');
        });
      }
      break;
    case 'call_media':
      update({ peerMuted: f.payload.muted, peerCameraOff: f.payload.camera_off });
      break;
    case 'ice_candidate':
      if (pc?.remoteDescription) await pc.addIceCandidate(f.payload.candidate as RTCIceCandidateInit).catch(() => {});
      else incomingIce.push(f.payload.candidate as RTCIceCandidateInit);
      break;
    case 'call_end':
      finish(f.payload.reason === 'disconnected' ? 'Call dropped' : 'Call ended');
      break;
    case 'call_cancel':
    case 'call_answered_elsewhere':
      finish();
      break;
    case 'call_decline':
    case 'call_busy':
    case 'call_missed':
      finish(c.direction === 'incoming' && f.type === 'call_decline' ? undefined : NOTICES[f.type]);
      break;
  }
}
