-- The relay deletes rows published more than a week ago, a batch at a time; without an index on
-- published_at each batch scanned the whole outbox, and on a large one it ran so long that it cost
-- the relay its leadership. Set-aside and pending rows have no published_at, so they stay out of it.
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
