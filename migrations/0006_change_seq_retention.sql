-- Reading the data incrementally, and retention (src/store/query.rs,
-- src/store/retention.rs; README "Reading the data").
--
-- change_seq: a change cursor. Every insert and update of an article takes
-- the next number from change_counter, so "WHERE change_seq > :last" finds
-- everything new or changed since a reader last looked, updated rows
-- included. A root story also takes a new number when its story changes
-- around it: a copy is attached, re-pointed or changed, or a sighting (an
-- article_sources row) is added to it or to one of its copies. So
-- `SELECT ... FROM stories WHERE change_seq > :last ORDER BY change_seq` is
-- an incremental feed of whole stories. Numbers are unique and only grow;
-- they are assigned inside the writing transaction, so a reader never sees a
-- number before the rows that carry it and lower numbers.
--
-- Retention clearing text (purged_at set) is deliberately not a change: the
-- story is what it was, only this database stopped keeping its text.
--
-- Maintained by triggers rather than by the writer so that no write path,
-- present or future, can forget it.

ALTER TABLE articles ADD COLUMN change_seq INTEGER;
-- When retention removed the text (NULL: text kept). url, title, the
-- fingerprints (content_hash, word_count, minhash) and every source stay.
ALTER TABLE articles ADD COLUMN purged_at TEXT;

CREATE TABLE change_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
-- Existing rows: their id order is as good a history as any; new changes
-- continue above the highest id.
UPDATE articles SET change_seq = id;
INSERT INTO change_counter(id, seq) VALUES (1, coalesce((SELECT max(id) FROM articles), 0));
CREATE UNIQUE INDEX articles_change_seq ON articles(change_seq);

-- A story's sources and copies by story id: makes story_sources (whose
-- story_id is this expression) and the export's per-story lookups index
-- searches instead of scans.
CREATE INDEX articles_story ON articles(coalesce(duplicate_of, id));

-- Retention's work list: rows that still hold text, oldest first. Purged
-- rows leave the index, so each batch finds its rows without skipping over
-- everything purged before.
CREATE INDEX articles_text_created_at ON articles(created_at) WHERE text IS NOT NULL;

-- Each trigger bumps the counter once per row it stamps, so numbers never
-- repeat. The nested UPDATEs below change change_seq, which the update
-- trigger's WHEN clause skips: no trigger counts its own stamping.
CREATE TRIGGER articles_change_insert AFTER INSERT ON articles BEGIN
    UPDATE change_counter SET seq = seq + 1;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter) WHERE id = new.id;
    UPDATE change_counter SET seq = seq + 1 WHERE new.duplicate_of IS NOT NULL;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter)
        WHERE new.duplicate_of IS NOT NULL AND id = new.duplicate_of;
END;

CREATE TRIGGER articles_change_update AFTER UPDATE ON articles
WHEN new.change_seq IS old.change_seq AND new.purged_at IS old.purged_at BEGIN
    UPDATE change_counter SET seq = seq + 1;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter) WHERE id = new.id;
    -- The story this row belongs to now...
    UPDATE change_counter SET seq = seq + 1 WHERE new.duplicate_of IS NOT NULL;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter)
        WHERE new.duplicate_of IS NOT NULL AND id = new.duplicate_of;
    -- ...and the one it left, which lost a copy.
    UPDATE change_counter SET seq = seq + 1
        WHERE old.duplicate_of IS NOT NULL AND old.duplicate_of IS NOT new.duplicate_of;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter)
        WHERE old.duplicate_of IS NOT NULL AND old.duplicate_of IS NOT new.duplicate_of
          AND id = old.duplicate_of;
END;

-- A new sighting changes the sources of the article and of its story.
CREATE TRIGGER article_sources_change_insert AFTER INSERT ON article_sources BEGIN
    UPDATE change_counter SET seq = seq + 1;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter) WHERE id = new.article_id;
    UPDATE change_counter SET seq = seq + 1
        WHERE (SELECT duplicate_of FROM articles WHERE id = new.article_id) IS NOT NULL;
    UPDATE articles SET change_seq = (SELECT seq FROM change_counter)
        WHERE id = (SELECT duplicate_of FROM articles WHERE id = new.article_id);
END;
