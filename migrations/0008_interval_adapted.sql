-- Whether feeds.interval_secs was adapted to the feed's publishing rate (1)
-- or is the configured fallback (0). Only an adapted interval carries over
-- to the next poll; a fallback follows poll_interval when feeds.toml changes.
ALTER TABLE feeds ADD COLUMN interval_adapted INTEGER NOT NULL DEFAULT 0;
