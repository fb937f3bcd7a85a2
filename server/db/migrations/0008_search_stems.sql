-- Words with a digit in them (codes, ids, hashes, versions: most of them in one message only)
-- are kept out of search_words. The letters such a word begins with are kept here instead, so
-- that a prefix of those letters is matched as a prefix, which finds them (decision 023).
CREATE TABLE search_stems (stem text COLLATE "C" PRIMARY KEY);
INSERT INTO search_stems
SELECT DISTINCT substring(word FROM '^[^0-9]+') FROM search_words WHERE word ~ '^[^0-9]+[0-9]'
ON CONFLICT DO NOTHING;
DELETE FROM search_words WHERE word ~ '[0-9]';
