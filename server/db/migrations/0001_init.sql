-- Chatify initial schema. Runs on PostgreSQL 15+ and PGlite (PostgreSQL 17/18).
-- Never edit a released migration: add the next numbered file instead.

CREATE TABLE users (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username          text NOT NULL,
  email             text NOT NULL,
  password_hash     text NOT NULL,
  display_name      text NOT NULL,
  email_verified_at timestamptz,
  disabled_at       timestamptz,
  last_seen_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);
-- Usernames and emails are unique regardless of case.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
-- Prefix search ("Search people"): text_pattern_ops lets LIKE 'al%' use the index.
CREATE INDEX users_username_prefix ON users (lower(username) text_pattern_ops);
CREATE INDEX users_display_name_prefix ON users (lower(display_name) text_pattern_ops);

-- One row per signed-in device. The refresh token is "<id>.<secret>"; only a hash of the
-- current secret is kept, and it is replaced on every refresh (rotation). A token whose
-- secret no longer matches was already spent: presenting it revokes the session.
CREATE TABLE sessions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_token_hash text NOT NULL,
  generation         integer NOT NULL DEFAULT 1,
  user_agent         text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  revoked_at         timestamptz
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE conversations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind            text NOT NULL CHECK (kind IN ('direct', 'group')),
  -- sha256 of the two sorted user ids: exactly one direct conversation per pair.
  direct_key      text UNIQUE,
  title           text,
  created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  last_seq        integer NOT NULL DEFAULT 0,
  last_message_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'direct') = (direct_key IS NOT NULL))
);

CREATE TABLE conversation_members (
  conversation_id    uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role               text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  joined_at          timestamptz NOT NULL DEFAULT now(),
  -- Receipt watermarks: this member has received / read every message with seq <= these.
  last_delivered_seq integer NOT NULL DEFAULT 0,
  last_read_seq      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id)
);
-- "My conversations" starts from the member row.
CREATE INDEX conversation_members_user_id ON conversation_members (user_id, conversation_id);

CREATE TABLE messages (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             integer NOT NULL,
  sender_id       uuid REFERENCES users (id) ON DELETE SET NULL,
  client_id       text,
  kind            text NOT NULL DEFAULT 'text',
  body            text NOT NULL DEFAULT '',
  reply_to        uuid REFERENCES messages (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  edited_at       timestamptz,
  deleted_at      timestamptz,
  -- 'simple' is language-neutral: no stemming, no stop words.
  search_vector   tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
  CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
  CONSTRAINT messages_sender_client_id_key UNIQUE (sender_id, client_id)
);
CREATE INDEX messages_search_vector ON messages USING gin (search_vector);

CREATE TABLE calls (
  id              uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  caller_id       uuid REFERENCES users (id) ON DELETE SET NULL,
  media           text NOT NULL CHECK (media IN ('audio', 'video')),
  state           text NOT NULL CHECK (state IN ('ringing', 'accepted', 'declined', 'missed', 'busy', 'cancelled', 'ended')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  answered_at     timestamptz,
  ended_at        timestamptz,
  end_reason      text
);
CREATE INDEX calls_conversation_id ON calls (conversation_id, started_at DESC);
