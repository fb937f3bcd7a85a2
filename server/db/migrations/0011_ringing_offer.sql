-- A call's SDP offer while it rings, so that a device which connects (or reconnects) during the
-- ring rings too: the callee who opens the app, or whose phone's socket dropped, can still answer.
-- Cleared when the call leaves 'ringing'.
ALTER TABLE calls ADD COLUMN offer jsonb;
-- The calls ringing now (a few at any moment), read at every socket's open.
CREATE INDEX calls_ringing ON calls (started_at) WHERE state = 'ringing';
