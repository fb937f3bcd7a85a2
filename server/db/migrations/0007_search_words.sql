-- Every whole word (lexeme) of the messages, so a search for a prefix can ask the full-text
-- index for the words that begin with it instead of matching the prefix there (decision 020).
-- Filled in the background, not by the send path: `through` says which messages it covers.
CREATE TABLE search_words (word text COLLATE "C" PRIMARY KEY);
CREATE TABLE search_words_state (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- Every message created, and every edit made, before this moment has its words above.
  through timestamptz NOT NULL
);
INSERT INTO search_words_state (through) VALUES ('-infinity');
-- Edits since `through` are searched the slow way until the words catch up.
CREATE INDEX messages_edited_at ON messages (edited_at) WHERE edited_at IS NOT NULL;
