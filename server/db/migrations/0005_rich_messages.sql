-- Rich messaging: edits, deletes for everyone, replies, reactions, attachments.

-- Changes to existing messages (edit, delete, reaction) are numbered per conversation, like
-- seq numbers new messages: a client that was away asks for the changes after the last one it
-- applied. A message keeps the number of its last change.
ALTER TABLE conversations ADD COLUMN last_change_seq integer NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN change_seq integer NOT NULL DEFAULT 0;
CREATE INDEX messages_changes ON messages (conversation_id, change_seq) WHERE change_seq > 0;

-- Reactions: one row per (message, user, emoji). The message carries a summary
-- ([{emoji, user_ids}], first reaction first) rewritten in the same transaction, so reading a
-- page of history never joins the reactions.
CREATE TABLE message_reactions (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  emoji      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, emoji)
);
ALTER TABLE messages ADD COLUMN reactions jsonb NOT NULL DEFAULT '[]';

-- Uploads: the bytes live in storage (local disk or S3) under a key the server made; this row
-- holds what was sniffed from them. A message of kind image/file points at one.
CREATE TABLE uploads (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  storage_key   text NOT NULL,
  thumbnail_key text,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size          bigint NOT NULL,
  width         integer,
  height        integer,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_owner ON uploads (owner_id, created_at);
ALTER TABLE messages ADD COLUMN attachment_id uuid REFERENCES uploads (id) ON DELETE SET NULL;
CREATE INDEX messages_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
