import type { ClientFrameType, ServerFrameType } from './frames.js';

/** One line per frame type for docs/protocol.md (a test fails when a frame has none). */
export const CLIENT_FRAME_DOCS: Record<ClientFrameType, string> = {
  auth: 'Authenticates a socket opened without `?token=`; must be the first frame, within 5 s. Answered by `ready`.',
  chat_message:
    'Sends a message. Answered by `message_ack` only after it is stored; the same `client_id` again returns the stored message (safe retry).',
  message_edit:
    'Replaces the text of your own message (within the edit window). Answered by `message_updated`; members get it too.',
  message_delete:
    'Deletes a message for everyone: its text, attachment and reactions are erased and a tombstone keeps its seq. Authors, and group owners and admins for any message. Answered by `message_updated`.',
  reaction_add: 'Puts an emoji on a message (once per user and emoji). Answered by `message_updated`.',
  reaction_remove: 'Takes your emoji off a message. Answered by `message_updated`.',
  typing: 'Starts or stops the typing indicator for a conversation; it ends by itself after 6 s without a refresh.',
  delivered: 'Moves the caller’s delivered watermark forward to `seq` (never back).',
  read_receipt: 'Moves the caller’s read watermark forward, by `seq` or by `message_id`; reading implies delivery.',
  sync: 'Catch-up after a reconnect: for each conversation, the messages after `after_seq` (100 at most, with `has_more`) and, with `after_change_seq`, the older messages changed since (200 at most, with `changes_has_more`).',
  ping: 'Application-level ping; answered by `pong` with the server time.',
  call_offer: 'Starts a call in a one-to-one conversation: every device of the callee rings.',
  call_answer: 'The callee accepts on this device, which becomes the active one; the other devices stop ringing.',
  ice_candidate: 'An ICE candidate for the other side’s active device.',
  call_media:
    'Your microphone and camera as the other side should show them (muted, camera off), for its active device; send it when either changes and, if either is off, once the call is answered.',
  call_decline: 'The callee declines; the caller hears `call_declined`.',
  call_cancel: 'The caller gives up before an answer.',
  call_end: 'Either side hangs up an active call.',
  call_rejoin:
    'Back in an answered call after this device’s socket dropped (send it on the new socket): the call’s frames reach this socket again. The call waits `CALL_REJOIN_MS` (20 s) for it, then ends for both (`call_end`, reason `disconnected`); after that the answer is an error (`conflict`).',
  ringing_calls:
    'Asks for the calls ringing for you now: each comes as `call_offer` on this socket with this frame’s `id` (then `call_cancel` or the like if it ended meanwhile; nothing if none rings). Send it after `resync`: an offer may have been lost between nodes (`ready` does this by itself).',
};

export const SERVER_FRAME_DOCS: Record<ServerFrameType, string> = {
  ready:
    'The socket is authenticated, subscribed and counted online on every node; resync now. Carries the server’s limits (edit window, upload size).',
  message_ack: 'The message with this `client_id` is durably stored at `seq`.',
  new_message:
    'A message in one of your conversations (yours included, to your other devices). Its sender has received and read everything up to its `seq`: move their watermarks with it (no `receipt_update` says so). `message_type` is `text`, `image` or `file`, or one the server writes, shown as a line rather than a bubble: `call` (a finished call) or `event` (a change to a group by its sender: `{"event":"added"|"removed","user_ids":[…]}`, `{"event":"left"}`, `{"event":"renamed","title":…}`, `{"event":"photo"}`, `{"event":"photo_removed"}`).',
  message_updated:
    'A message was edited, deleted or reacted to: its whole current state, with its `change_seq` (keep the higher one).',
  typing: 'Someone started or stopped typing.',
  receipt_update: 'A member’s delivered/read watermark moved.',
  presence_update: 'A contact came online or went offline (with `last_seen_at`).',
  sync_result: 'The answer to `sync`.',
  conversation_created: 'You were added to a new conversation; fetch it over REST.',
  conversation_updated: 'A conversation you are in changed (title, members, a member’s name); fetch it over REST.',
  pong: 'The answer to `ping`.',
  resync:
    'Events meant for you may have been lost on the way between server nodes (their link was down for a while); the socket stays open: catch up as after `ready` (conversation list, `sync`, and `ringing_calls` if no call is on screen).',
  self_updated:
    'Your own account changed (display name, relay-only calls, email confirmed), here or on another device: its whole current state, as `GET /api/users/me` gives it.',
  call_offer:
    'Someone is calling you (every device rings, and a device that connects while it rings is sent it right after `ready`); carries the SDP offer.',
  call_ringing: 'The callee’s devices are ringing.',
  call_busy: 'The callee is in another call.',
  call_answer: 'The callee answered; carries the SDP answer to the caller’s device.',
  call_answered_elsewhere: 'You answered on another device: stop ringing here.',
  ice_candidate: 'An ICE candidate from the other side.',
  call_media:
    'The other side muted or unmuted, or turned their camera off or on: show their picture, not a black video.',
  call_decline: 'The callee declined.',
  call_cancel: 'The caller gave up before an answer.',
  call_end: 'The call ended, with a reason (hang-up, a device dropped…).',
  call_missed: 'Nobody answered in time.',
  error:
    'A frame was refused: `code`, a message, and `ref` (the frame’s `id`, or its `client_id`). The socket stays open.',
};
