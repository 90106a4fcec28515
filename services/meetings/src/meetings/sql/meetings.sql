-- name: insert_meeting
INSERT INTO meetings (id, title, group_name, starts_at, ends_at, timezone, place, group_id, series_id,
                      occurrence_date, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *;

-- name: insert_invitee
INSERT INTO meeting_invitees (meeting_id, position, name, email) VALUES ($1, $2, $3, $4);

-- name: get_meeting
SELECT * FROM meetings WHERE id = $1;

-- name: lock_meeting
SELECT * FROM meetings WHERE id = $1 FOR UPDATE;

-- name: list_invitees
SELECT name, email FROM meeting_invitees WHERE meeting_id = $1 ORDER BY position;

-- name: list_meetings
SELECT *, count(*) OVER () AS total FROM meetings
WHERE ($1::timestamptz IS NULL OR starts_at >= $1)
  AND ($2::timestamptz IS NULL OR starts_at < $2)
  AND ($3::uuid IS NULL OR group_id = $3)
  AND ($4::uuid IS NULL OR series_id = $4)
  AND ($5::text IS NULL OR status = $5)
ORDER BY starts_at, id
LIMIT $6 OFFSET $7;

-- name: move_meeting
UPDATE meetings
SET starts_at = $3, ends_at = $4, place = $5, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: cancel_meeting
UPDATE meetings
SET status = 'cancelled', cancel_reason = $3, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: set_meeting_start
UPDATE meetings SET starts_at = $2, ends_at = $3, title = $4, version = version + 1, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: insert_series
INSERT INTO series (id, group_id, title, place, timezone, frequency, interval, weekday, week_of_month,
                    start_time, duration_minutes, starts_on, until)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING *;

-- name: get_series
SELECT * FROM series WHERE id = $1;

-- name: list_series
SELECT s.*, g.name AS group_name, count(*) OVER () AS total
FROM series s LEFT JOIN groups g ON g.id = s.group_id
WHERE ($1::uuid IS NULL OR s.group_id = $1)
ORDER BY s.created_at, s.id
LIMIT $2 OFFSET $3;
