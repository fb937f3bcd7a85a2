-- A participant whose device's socket went away during an accepted call: since when (their
-- socket_id is then NULL). The call waits CALL_REJOIN_MS for the device to come back (the
-- call_rejoin frame) before it ends (decision 044).
ALTER TABLE call_participants ADD COLUMN away_since timestamptz;
