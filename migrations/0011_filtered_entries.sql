-- Entries a feed's [feed.filter] dropped. Recorded so that each entry is
-- decided once (a later poll neither asks again nor fetches its page) and
-- so that the operator can see what was dropped and by which rule. They
-- are not articles: nothing here reaches `articles` or `stories`.
CREATE TABLE filtered_entries (
    feed_id     INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_id    TEXT NOT NULL,
    entry_url   TEXT,
    title       TEXT,
    -- "excluded by title ~ \"...\" (line 12)" or "matched no include rule"
    reason      TEXT NOT NULL,
    filtered_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_id)
) WITHOUT ROWID;
