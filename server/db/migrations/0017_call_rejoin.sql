-- A participant whose device's socket went away during an accepted call: since when (their
-- socket_id is then NULL). The call waits CALL_REJOIN_MS for the device to come back (the
-- call_rejoin frame) before it ends (decision 044).
ALTER TABLE call_participants ADD COLUMN away_since timestamptz;
-- The sweep's way in: the few participants away now.
CREATE INDEX call_participants_away ON call_participants (away_since) WHERE away_since IS NOT NULL AND left_at IS NULL;
