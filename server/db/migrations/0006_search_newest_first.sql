-- Search walks back in time through the newest messages first (decision 016). On a large
-- live database, build it beforehand with CREATE INDEX CONCURRENTLY under the same name.
CREATE INDEX IF NOT EXISTS messages_created_at ON messages (created_at);
