-- name: insert_meeting
-- The meeting and its invitees (:names and :emails, in their order), in one round trip. Each invitee
-- is the one person who has the invited address now (none when several or nobody has it). That
-- link, never a later match on the address, says whose invitation this is.
WITH meeting AS (
    INSERT INTO meetings (id, title, group_name, starts_at, ends_at, timezone, place, group_id, series_id,
                          occurrence_date, source)
    VALUES (:id, :title, :group_name, :starts_at, :ends_at, :timezone, :place, :group_id, :series_id,
            :occurrence_date, :source)
    RETURNING *
), invitees AS (
    INSERT INTO meeting_invitees (meeting_id, position, name, email, person_id)
    SELECT meeting.id, i.n - 1, i.name, i.email,
           (SELECT (array_agg(p.id))[1] FROM people p WHERE lower(p.email) = lower(i.email) HAVING count(*) = 1)
    FROM meeting, unnest(:names::text[], :emails::text[]) WITH ORDINALITY AS i (name, email, n)
)
SELECT * FROM meeting;

-- name: get_meeting
SELECT * FROM meetings WHERE id = :id;

-- name: lock_meeting
SELECT * FROM meetings WHERE id = :id FOR UPDATE;

-- name: list_invitees
SELECT name, email FROM meeting_invitees WHERE meeting_id = :meeting_id ORDER BY position;

-- name: list_invitees_of_organisation
-- The invitees who are people of one organisation (by the person each invitation was made to,
-- never by who has the address now): all that a representative of it may see of the list.
SELECT i.name, i.email FROM meeting_invitees i
JOIN people p ON p.id = i.person_id
WHERE i.meeting_id = :meeting_id AND p.organisation_id = :organisation_id
ORDER BY i.position;

-- name: list_meetings
SELECT *, count(*) OVER () AS total FROM meetings
WHERE (:start::timestamptz IS NULL OR starts_at >= :start)
  AND (:end::timestamptz IS NULL OR starts_at < :end)
  AND (:group_id::uuid IS NULL OR group_id = :group_id)
  AND (:series_id::uuid IS NULL OR series_id = :series_id)
  AND (:status::text IS NULL OR status = :status)
ORDER BY starts_at, id
LIMIT :limit OFFSET :offset;

-- name: move_meeting
UPDATE meetings
SET starts_at = :starts_at, ends_at = :ends_at, place = :place, version = version + 1, updated_at = now()
WHERE id = :id AND version = :version
RETURNING *;

-- name: cancel_meeting
UPDATE meetings
SET status = 'cancelled', cancel_reason = :cancel_reason, version = version + 1, updated_at = now()
WHERE id = :id AND version = :version
RETURNING *;

-- name: set_meeting_start
UPDATE meetings SET starts_at = :starts_at, ends_at = :ends_at, title = :title, version = version + 1,
    updated_at = now()
WHERE id = :id RETURNING *;

-- name: insert_series
INSERT INTO series (id, group_id, title, place, timezone, frequency, interval, weekday, week_of_month,
                    start_time, duration_minutes, starts_on, until)
VALUES (:id, :group_id, :title, :place, :timezone, :frequency, :interval, :weekday, :week_of_month,
        :start_time, :duration_minutes, :starts_on, :until)
RETURNING *;

-- name: get_series
SELECT * FROM series WHERE id = :id;

-- name: list_series
SELECT s.*, g.name AS group_name, count(*) OVER () AS total
FROM series s LEFT JOIN groups g ON g.id = s.group_id
WHERE (:group_id::uuid IS NULL OR s.group_id = :group_id)
ORDER BY s.created_at, s.id
LIMIT :limit OFFSET :offset;
