-- robots.txt answers, kept for a day so restarts and cron runs do not ask
-- every site again (see src/fetch/robots.rs).
CREATE TABLE robots_txt (
    origin        TEXT PRIMARY KEY,   -- scheme://host[:port]
    status        INTEGER NOT NULL,   -- 200, or the 4xx that means "no rules"
    body          BLOB NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    TEXT NOT NULL
);
