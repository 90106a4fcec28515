-- Live assignments found by time alone: matching asks who is already booked when a request takes
-- place (sql/matching.sql match_page). The exclusion constraint's index leads with the volunteer,
-- so a search by time alone read nearly all of it (250 pages for 200 rows on the bench's 50,000).
CREATE INDEX assignments_live_during ON assignments USING gist (tstzrange(starts_at, ends_at))
    WHERE status <> 'cancelled';
