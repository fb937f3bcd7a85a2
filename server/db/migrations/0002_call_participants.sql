-- Calls: who takes part, on which device. A row per participant keeps the model open for
-- group calls; a 1:1 call has the caller and the callee. socket_id is the device that
-- placed or answered the call (signaling goes to that device only), null while ringing.
CREATE TABLE call_participants (
  call_id   uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role      text NOT NULL CHECK (role IN ('caller', 'callee')),
  socket_id text,
  joined_at timestamptz,
  left_at   timestamptz,
  PRIMARY KEY (call_id, user_id)
);
CREATE INDEX call_participants_user_id ON call_participants (user_id);

-- A user who never wants to reveal their address gets relay-only ICE (TURN).
ALTER TABLE users ADD COLUMN relay_only boolean NOT NULL DEFAULT false;
