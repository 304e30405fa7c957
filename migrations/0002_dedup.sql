-- Dedup layers 2 and 3 (see src/dedup/mod.rs).
--
-- url_key: the scheme-insensitive comparison key of canonical_url
-- (http = https, no www., no trailing slash): two rows never share one.
-- minhash: the 96-byte MinHash sketch of the text, NULL under 80 words.
-- It replaces the contract's simhash, which stays and is left NULL: SimHash
-- could not separate copies with 20 % edits from distinct stories (see the
-- pair report in tests/fixtures/dedup/pair-report.txt).

ALTER TABLE articles ADD COLUMN url_key TEXT;
UPDATE articles SET url_key = canonical_url WHERE url_key IS NULL;
CREATE UNIQUE INDEX articles_url_key ON articles(url_key);
ALTER TABLE articles ADD COLUMN minhash BLOB;
CREATE INDEX articles_created_at ON articles(created_at);

-- Every place a story appeared: one row per sighting of the story or of any
-- copy of it, keyed by the story (the root article) id.
CREATE VIEW story_sources AS
SELECT coalesce(a.duplicate_of, a.id) AS story_id,
       a.id                           AS article_id,
       a.duplicate_of IS NOT NULL     AS is_copy,
       a.url                          AS article_url,
       s.entry_url,
       s.feed_id,
       f.url                          AS feed_url,
       coalesce(f.name, f.title)      AS feed_name,
       s.first_seen_at
FROM article_sources s
JOIN articles a ON a.id = s.article_id
JOIN feeds f ON f.id = s.feed_id;
