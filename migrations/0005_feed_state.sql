-- Poller state shown by `feedsift status` (src/poll/plan.rs).
-- state: ok | failing (backing off after errors) | muted (410 Gone: not
-- polled until feeds.toml changes) | empty (parsed, but the items it has
-- could not be read) | removed (no longer in feeds.toml).
ALTER TABLE feeds ADD COLUMN state TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE feeds ADD COLUMN state_reason TEXT;
-- The interval the scheduler settled on: configured, or adapted to how often
-- the feed publishes, in seconds.
ALTER TABLE feeds ADD COLUMN interval_secs INTEGER;
UPDATE feeds SET state = 'removed' WHERE active = 0;
