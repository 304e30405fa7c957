-- Page metadata found by the extractor (src/extract/metadata.rs).
ALTER TABLE articles ADD COLUMN modified_at TEXT;   -- the page's own "updated" time
ALTER TABLE articles ADD COLUMN site_name TEXT;     -- og:site_name / JSON-LD publisher
ALTER TABLE articles ADD COLUMN description TEXT;   -- meta / og description
ALTER TABLE articles ADD COLUMN image_url TEXT;     -- lead image, absolute
