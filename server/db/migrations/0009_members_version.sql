-- Counts the changes of a conversation's members (bumped by the trigger of 0010, under the
-- conversation's row lock), so a send statement that waited on that lock can tell that the
-- members its snapshot shows are no longer the members (decision 029).
ALTER TABLE conversations ADD COLUMN members_version integer NOT NULL DEFAULT 0;

-- Fails the statement that calls it (SQLSTATE 40001: run it again, with a new snapshot).
CREATE FUNCTION members_changed(conversation uuid) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'the members of conversation % changed during this statement', conversation
    USING ERRCODE = 'serialization_failure';
END
$$;
