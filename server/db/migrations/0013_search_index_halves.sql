-- The full-text index in two halves, one per parity of seq (decision 032): a search's
-- every-match step searches both at once, on two connections, so two cores intersect the
-- words' lists, each half as long. A message is in exactly one half; writes cost the same.
-- Searches name the half (`(seq & 1) = 0`), which is how PostgreSQL picks a partial index.
-- On a large live database, build both beforehand with CREATE INDEX CONCURRENTLY under the
-- same names (IF NOT EXISTS then finds them): built here, they block writes to messages while
-- they are built (about a minute per 10M messages).
CREATE INDEX IF NOT EXISTS messages_search_vector_even ON messages USING gin (search_vector) WHERE (seq & 1) = 0;
CREATE INDEX IF NOT EXISTS messages_search_vector_odd ON messages USING gin (search_vector) WHERE (seq & 1) = 1;
DROP INDEX IF EXISTS messages_search_vector;
