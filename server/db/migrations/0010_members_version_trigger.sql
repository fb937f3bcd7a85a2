-- Every change of members bumps members_version, whoever makes it: a node of an older
-- version during a rolling restart, an administrator's SQL, a cascade (decision 029). The
-- members a node holds are trusted only while the version is unchanged, so a change that did
-- not bump it would leave them wrong for as long as they are held. The application takes the
-- conversation's row lock before it changes members (the order sends and receipts take their
-- locks in); the conversations are locked here in id order, as sends lock them, for a
-- statement that touches several.
CREATE FUNCTION bump_members_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM conversations WHERE id IN (SELECT conversation_id FROM changed) ORDER BY id FOR UPDATE;
  UPDATE conversations SET members_version = members_version + 1
   WHERE id IN (SELECT conversation_id FROM changed);
  RETURN NULL;
END
$$;

CREATE TRIGGER members_added AFTER INSERT ON conversation_members
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_members_version();
CREATE TRIGGER members_removed AFTER DELETE ON conversation_members
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_members_version();
