-- The full-text index in two halves, one per parity of seq (decision 032): a search's
-- every-match step searches both at once, on two connections, so two cores intersect the
-- words' lists, each half as long. A message is in exactly one half.
-- Searches name the half (`(seq & 1) = 0`), which is how PostgreSQL picks a partial index.
-- On a large live database, build both beforehand with CREATE INDEX CONCURRENTLY under the
-- same names (IF NOT EXISTS then finds them): built here, they block writes to messages while
-- they are built (about a minute per 10M messages). A CONCURRENTLY build that failed leaves an
-- invalid index under its name: this migration then stops, before dropping the old index.
-- Nodes still running the code before this migration search without the halves (slowly, or
-- answered 503) until they are restarted (decision 032, "Upgrading").
CREATE INDEX IF NOT EXISTS messages_search_vector_even ON messages USING gin (search_vector) WHERE (seq & 1) = 0;
CREATE INDEX IF NOT EXISTS messages_search_vector_odd ON messages USING gin (search_vector) WHERE (seq & 1) = 1;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE c.relname IN ('messages_search_vector_even', 'messages_search_vector_odd') AND NOT i.indisvalid) THEN
    RAISE EXCEPTION 'an index messages_search_vector_even or _odd is invalid (a failed CREATE INDEX CONCURRENTLY): drop it and run the migration again';
  END IF;
END
$$;
DROP INDEX IF EXISTS messages_search_vector;
