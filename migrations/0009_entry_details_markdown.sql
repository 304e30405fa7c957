-- What the feed's entry says besides the article text (issue 11), and the
-- text as Markdown (issue 14). Additive: every query written for database
-- v1 reads as before, and the `stories` view (SELECT *) shows the new
-- columns too. Lists are JSON arrays, read with SQLite's JSON functions:
--   SELECT title FROM stories, json_each(stories.tags) WHERE json_each.value = 'Climate';
-- A column is NULL when the feed says nothing (never an empty array).
ALTER TABLE articles ADD COLUMN summary TEXT;       -- the entry's summary, plain text
ALTER TABLE articles ADD COLUMN tags TEXT;          -- JSON array of category terms
ALTER TABLE articles ADD COLUMN enclosures TEXT;    -- JSON array of {"url", "type", "length"}
ALTER TABLE articles ADD COLUMN authors TEXT;       -- JSON array of {"name", "email", "uri"}
ALTER TABLE articles ADD COLUMN contributors TEXT;  -- JSON array of {"name", "email", "uri"}
ALTER TABLE articles ADD COLUMN comments_url TEXT;  -- the entry's comments page
ALTER TABLE articles ADD COLUMN feed_lang TEXT;     -- the language the feed declares for the entry
ALTER TABLE articles ADD COLUMN markdown TEXT;      -- `text` as Markdown ([settings] markdown = true)
