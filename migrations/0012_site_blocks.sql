-- Each site's learned boilerplate (src/dedup/site_blocks.rs).
--
-- site_blocks: per host, the lines (blocks) of its pages by the XXH3-64 of
-- their normalised words (as a signed integer), with the number of distinct
-- stories' pages they appeared on. Blocks on PAGES_TO_LEARN (3) or more are
-- that site's boilerplate and are dropped from its pages' stored text and
-- fingerprint. Bounded per host (MAX_BLOCKS_PER_HOST): blocks are
-- forgotten least recently seen first; last_page is the id of the last
-- article they were seen on, first_page of the first (whose own text the
-- block is, should a teaser quote it: it is never cleaned from that page).
CREATE TABLE site_blocks (
    host      TEXT    NOT NULL,
    block     INTEGER NOT NULL,
    pages     INTEGER NOT NULL,
    words     INTEGER NOT NULL,
    first_page INTEGER NOT NULL,
    last_page INTEGER NOT NULL,
    PRIMARY KEY (host, block)
) WITHOUT ROWID;

-- The recent pages each host taught (RECENT_PAGES_PER_HOST per host): the
-- pages filtered again when one of their site's blocks becomes known, and
-- the check that two pages of one host are of distinct stories.
CREATE TABLE site_pages (
    article_id INTEGER PRIMARY KEY,
    host       TEXT NOT NULL
);
CREATE INDEX site_pages_host ON site_pages(host, article_id);
