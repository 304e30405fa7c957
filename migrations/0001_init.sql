-- feedsift database contract v1 (README, "The database"). Timestamps are RFC 3339 UTC text.
-- Columns may be added by later migrations; none of these is ever removed.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT UNIQUE NOT NULL,   -- as listed in feeds.toml
    fetch_url       TEXT,                   -- where it lives now, after a permanent redirect
    name            TEXT,                   -- the name given in feeds.toml
    title           TEXT,                   -- the title the feed gives itself
    site_url        TEXT,
    etag            TEXT,                   -- validators of the last complete, parsed response
    last_modified   TEXT,
    last_polled_at  TEXT,
    last_success_at TEXT,
    next_poll_at    TEXT,
    error_count     INTEGER NOT NULL DEFAULT 0,  -- consecutive failed polls
    last_error      TEXT,
    active          INTEGER NOT NULL DEFAULT 1,  -- 0 once removed from feeds.toml; its articles stay
    created_at      TEXT NOT NULL
);

-- One row per distinct page.
CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL,            -- where the text was fetched from
    canonical_url  TEXT UNIQUE NOT NULL,     -- the page's one URL (dedup layer 2)
    title          TEXT,
    byline         TEXT,
    published_at   TEXT,
    fetched_at     TEXT,
    lang           TEXT,
    text           TEXT,                     -- plain text, blank line between paragraphs
    word_count     INTEGER,
    content_hash   TEXT,
    simhash        INTEGER,
    duplicate_of   INTEGER NULL REFERENCES articles(id),  -- the root story this page copies
    extract_status TEXT,                     -- ok, from_feed, no_content, fetch_failed: ..., ...
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX articles_duplicate_of ON articles(duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_published_at ON articles(published_at);

-- Every (feed, entry) sighting. The same URL in three feeds is one article
-- with three sources; the same entry polled again is this row, not a new one.
CREATE TABLE article_sources (
    article_id    INTEGER NOT NULL REFERENCES articles(id),
    feed_id       INTEGER NOT NULL REFERENCES feeds(id),
    entry_id      TEXT NOT NULL,             -- GUID / Atom id / JSON id, else the link
    entry_url     TEXT,                      -- the link as the feed gave it
    first_seen_at TEXT NOT NULL,
    entry_updated_at TEXT,                   -- the entry's own updated time when last processed
    PRIMARY KEY (feed_id, entry_id)
);
CREATE INDEX article_sources_article ON article_sources(article_id);

-- Entries whose page could not be fetched yet. They count as seen, so they
-- are retried on a schedule instead of being treated as new on every poll.
CREATE TABLE pending_entries (
    feed_id         INTEGER NOT NULL REFERENCES feeds(id),
    entry_id        TEXT NOT NULL,
    entry_url       TEXT,
    entry_json      TEXT NOT NULL,           -- the entry as parsed, to retry without the feed
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT,                    -- NULL: gave up
    last_error      TEXT NOT NULL,
    first_seen_at   TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_id)
);

CREATE VIEW stories AS SELECT * FROM articles WHERE duplicate_of IS NULL;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content = 'articles', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
