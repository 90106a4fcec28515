-- name: insert_meeting
INSERT INTO meetings (id, title, group_name, starts_at, ends_at, timezone, place)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: insert_invitee
INSERT INTO meeting_invitees (meeting_id, position, name, email) VALUES ($1, $2, $3, $4);

-- name: get_meeting
SELECT * FROM meetings WHERE id = $1;

-- name: list_invitees
SELECT name, email FROM meeting_invitees WHERE meeting_id = $1 ORDER BY position;

-- name: list_meetings
SELECT * FROM meetings
WHERE ($1::timestamptz IS NULL OR starts_at >= $1)
  AND ($2::timestamptz IS NULL OR starts_at < $2)
ORDER BY starts_at, id
LIMIT $3 OFFSET $4;

-- name: count_meetings
SELECT count(*) FROM meetings
WHERE ($1::timestamptz IS NULL OR starts_at >= $1)
  AND ($2::timestamptz IS NULL OR starts_at < $2);
