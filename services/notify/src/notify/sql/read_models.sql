-- name: upsert_event_calendar
-- An event as published or changed. A lower :sequence than the one kept is an older version
-- arriving late (a replay): it changes nothing.
INSERT INTO event_calendar (event_id, title, starts_at, ends_at, timezone, venue_name, venue_address,
    sequence, status)
VALUES (:event_id, :title, :starts_at, :ends_at, :timezone, :venue_name, :venue_address, :sequence, :status)
ON CONFLICT (event_id) DO UPDATE
SET title = EXCLUDED.title, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
    timezone = EXCLUDED.timezone, venue_name = EXCLUDED.venue_name,
    venue_address = EXCLUDED.venue_address, sequence = EXCLUDED.sequence, status = EXCLUDED.status
WHERE event_calendar.sequence <= EXCLUDED.sequence;

-- name: cancel_event_calendar
-- A cancelled event keeps its entry (its .ics says CANCEL with this sequence) until it is pruned.
UPDATE event_calendar SET status = 'cancelled', sequence = GREATEST(sequence, :sequence)
WHERE event_id = :event_id;

-- name: get_event_calendar
SELECT * FROM event_calendar WHERE event_id = :event_id;

-- name: upsert_registrant
-- An open offer to a person with an address: its answers (`offer.accepted`, `offer.expired`) carry
-- only ids. Nobody else is kept: every other message carries its person.
INSERT INTO event_registrants (registration_id, event_id, name, email, language, status)
VALUES (:registration_id, :event_id, :name, :email, :language, :status)
ON CONFLICT (registration_id) DO UPDATE
SET name = EXCLUDED.name, email = EXCLUDED.email, language = EXCLUDED.language, status = EXCLUDED.status;

-- name: take_registrant
-- The offer ended (accepted or expired): the person for its last email, and forgotten with it.
DELETE FROM event_registrants WHERE registration_id = :registration_id
RETURNING *;

-- name: forget_registrant
-- A registration that ended (cancelled, declined, expired): nothing of the person is kept.
DELETE FROM event_registrants WHERE registration_id = :registration_id;

-- name: forget_registrants_of_event
-- A cancelled event needs nobody's address any more (each person's notice carries their own).
DELETE FROM event_registrants WHERE event_id = :event_id;

-- name: next_meeting_sequence
-- The invitation's version: :first the first time notify hears of the meeting (0 for a new one,
-- 1 for a change to one scheduled before notify kept count), one more for each change after it;
-- the same event (:event_id) handled again gets the number it got the first time. An event older
-- than the last one applied (its aggregate number, else its time: a replayed dead letter) returns
-- no row: it would give a stale time a higher SEQUENCE.
INSERT INTO meeting_calendar (meeting_id, sequence, last_event_id, last_aggregate_seq, last_event_at,
    starts_at)
VALUES (:meeting_id, :first, :event_id, :aggregate_seq, :event_at, :starts_at)
ON CONFLICT (meeting_id) DO UPDATE
SET sequence = CASE WHEN meeting_calendar.last_event_id = EXCLUDED.last_event_id
                    THEN meeting_calendar.sequence ELSE meeting_calendar.sequence + 1 END,
    last_event_id = EXCLUDED.last_event_id,
    last_aggregate_seq = EXCLUDED.last_aggregate_seq,
    last_event_at = EXCLUDED.last_event_at,
    starts_at = EXCLUDED.starts_at
WHERE meeting_calendar.last_event_id = EXCLUDED.last_event_id
   OR (CASE WHEN meeting_calendar.last_aggregate_seq IS NOT NULL AND EXCLUDED.last_aggregate_seq IS NOT NULL
            THEN EXCLUDED.last_aggregate_seq > meeting_calendar.last_aggregate_seq
            ELSE meeting_calendar.last_event_at IS NULL OR EXCLUDED.last_event_at >= meeting_calendar.last_event_at
       END)
RETURNING sequence;

-- name: forget_past_meetings
-- Meetings that started more than :after_seconds ago: no invitation is sent for them any more.
WITH gone AS (
    DELETE FROM meeting_calendar WHERE starts_at < now() - make_interval(secs => :after_seconds)
    RETURNING 1
)
SELECT count(*) FROM gone;

-- name: forget_past_events
-- Events that ended more than :after_seconds ago, and the people registered for them: nothing more
-- is sent about them. Returns how many events were forgotten.
WITH gone AS (
    DELETE FROM event_calendar WHERE ends_at < now() - make_interval(secs => :after_seconds)
    RETURNING event_id
), people AS (
    DELETE FROM event_registrants WHERE event_id IN (SELECT event_id FROM gone)
    RETURNING 1
)
SELECT count(*) FROM gone;
