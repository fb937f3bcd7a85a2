-- People are found by any word of their name, without its accents: "martinez", "marti" or
-- "martí" find Cleo Martínez. Each word of a display name, folded (lowercase, Latin accents
-- taken off, split at spaces and ASCII punctuation), is a row here, kept by a trigger
-- whoever writes the name; a prefix of a word is then a range of the primary key (in "C"
-- order, as search_words).
CREATE FUNCTION fold_name(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT regexp_replace(normalize(lower(t), NFD), U&'[\0300-\036F]', '', 'g')
$$;

CREATE TABLE user_name_words (
  word    text COLLATE "C" NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (word, user_id)
);
-- A rename deletes the user's words by user_id.
CREATE INDEX user_name_words_user ON user_name_words (user_id);

CREATE FUNCTION user_name_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM user_name_words WHERE user_id = NEW.id;
  INSERT INTO user_name_words (word, user_id)
    SELECT DISTINCT w, NEW.id FROM regexp_split_to_table(fold_name(NEW.display_name), '[[:space:][:punct:]]+') w
     WHERE w <> '';
  RETURN NULL;
END
$$;

CREATE TRIGGER users_name_words AFTER INSERT OR UPDATE OF display_name ON users
  FOR EACH ROW EXECUTE FUNCTION user_name_words_sync();

INSERT INTO user_name_words (word, user_id)
  SELECT DISTINCT w, u.id FROM users u, regexp_split_to_table(fold_name(u.display_name), '[[:space:][:punct:]]+') w
   WHERE w <> '';
