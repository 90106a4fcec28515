-- Which event set a meeting's invitation SEQUENCE, by its place in the meeting's order (and its
-- time, for events without one), so a replayed older change is not sent with a higher SEQUENCE; and
-- when the meeting starts, so its row is deleted some time after.
ALTER TABLE meeting_calendar
    ADD COLUMN last_aggregate_seq bigint,
    ADD COLUMN last_event_at      timestamptz,
    ADD COLUMN starts_at          timestamptz;

-- Only open offers are kept now (consumers.offer_made); anyone else kept before is forgotten.
DELETE FROM event_registrants WHERE status <> 'offered';
