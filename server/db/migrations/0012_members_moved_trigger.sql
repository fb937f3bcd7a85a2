-- A member row whose conversation or user is changed in place (the application never does it;
-- an administrator's SQL may) is a removal and an addition: it bumps members_version of the
-- conversations on both sides, as 0010's triggers do for INSERT and DELETE (decision 029).
-- A row trigger, limited to UPDATEs that name those columns, so the watermark updates of every
-- send and receipt never fire it (a statement trigger could not have the column list with
-- transition tables). TRUNCATE needs none: it leaves no member whose messages could go to the
-- wrong people, sends are refused by the membership check until members are added again, and
-- adding them (INSERT or COPY) bumps the version.
CREATE FUNCTION bump_members_version_of_moved_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM conversations WHERE id IN (OLD.conversation_id, NEW.conversation_id) ORDER BY id FOR UPDATE;
  UPDATE conversations SET members_version = members_version + 1
   WHERE id IN (OLD.conversation_id, NEW.conversation_id);
  RETURN NULL;
END
$$;

CREATE TRIGGER members_moved AFTER UPDATE OF conversation_id, user_id ON conversation_members
  FOR EACH ROW
  WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id OR OLD.user_id IS DISTINCT FROM NEW.user_id)
  EXECUTE FUNCTION bump_members_version_of_moved_member();
