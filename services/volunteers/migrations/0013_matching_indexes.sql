-- Indexes for matching in SQL (sql/matching.sql match_page), which judges every member of a pool
-- on each look at a request's candidates.

-- The fair-ranking counts read a pool's assignments of the year before the request: with the
-- columns they read in the index, that is an index-only scan of one range, not a pass over the table.
CREATE INDEX assignments_fairness ON assignments (pool_id, starts_at)
    INCLUDE (volunteer_id, status, request_id);
-- Subsumed by assignments_fairness (same keys).
DROP INDEX assignments_pool_time;

-- Absences and extra time that overlap the request, found by time (the table only grows).
CREATE INDEX availability_exceptions_during ON availability_exceptions USING gist (tstzrange(starts_at, ends_at));
