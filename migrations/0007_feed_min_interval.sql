-- The shortest interval the feed itself asks for (RSS <ttl>, sy:updatePeriod),
-- in seconds, from its last full response. Kept so that polls answered 304,
-- which carry no document, still honour it (src/poll/plan.rs).
ALTER TABLE feeds ADD COLUMN min_interval_secs INTEGER;
