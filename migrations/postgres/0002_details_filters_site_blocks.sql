-- SQLite's migrations 0009, 0011 and 0012 in one step, same tables, columns
-- and meanings (see those files for what each column holds).

-- 0009: what the feed's entry says besides the article text, and the text
-- as Markdown. A column is NULL when the feed says nothing (never an empty
-- array).
-- Lists stay text holding JSON, not jsonb: the writer binds SQLite's serialised String, which the postgres crate will not bind to jsonb. Read them with ::jsonb:
--   SELECT title FROM stories, jsonb_array_elements_text(stories.tags::jsonb) t WHERE t = 'Climate';
ALTER TABLE articles
    ADD COLUMN summary      text,  -- the entry's summary, plain text
    ADD COLUMN tags         text,  -- JSON array of category terms
    ADD COLUMN enclosures   text,  -- JSON array of {"url", "type", "length"}
    ADD COLUMN authors      text,  -- JSON array of {"name", "email", "uri"}
    ADD COLUMN contributors text,  -- JSON array of {"name", "email", "uri"}
    ADD COLUMN comments_url text,  -- the entry's comments page
    ADD COLUMN feed_lang    text,  -- the language the feed declares for the entry
    ADD COLUMN markdown     text;  -- `text` as Markdown ([settings] markdown = true)

-- PostgreSQL froze the view's column list at 0001: it shows the new columns
-- once recreated. The columns were appended, so the view is replaced in
-- place and whatever a reader built on it stays.
CREATE OR REPLACE VIEW stories AS SELECT * FROM articles WHERE duplicate_of IS NULL;

-- 0011: entries a feed's [feed.filter] dropped, decided once. They are not
-- articles: nothing here reaches `articles` or `stories`.
CREATE TABLE filtered_entries (
    feed_id     bigint NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_id    text NOT NULL,
    entry_url   text,
    title       text,
    -- "excluded by title ~ \"...\" (line 12)" or "matched no include rule"
    reason      text NOT NULL,
    filtered_at text NOT NULL,
    PRIMARY KEY (feed_id, entry_id)
);

-- 0012: each site's learned boilerplate (src/dedup/site_blocks.rs). `block`
-- is the XXH3-64 of a line's normalised words as a signed integer.
CREATE TABLE site_blocks (
    host       text   NOT NULL,
    block      bigint NOT NULL,
    pages      bigint NOT NULL,
    words      bigint NOT NULL,
    first_page bigint NOT NULL,
    last_page  bigint NOT NULL,
    PRIMARY KEY (host, block)
);

-- The recent pages each host taught.
CREATE TABLE site_pages (
    article_id bigint PRIMARY KEY,
    host       text NOT NULL
);
CREATE INDEX site_pages_host ON site_pages(host, article_id);
