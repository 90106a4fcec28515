-- name: insert_import
INSERT INTO imports (id, source_name, year, text, parsed, meeting_id, minutes_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: get_import
SELECT * FROM imports WHERE id = $1;

-- name: lock_import
SELECT * FROM imports WHERE id = $1 FOR UPDATE;

-- name: update_import
UPDATE imports
SET parsed = $3, meeting_id = $4, minutes_id = $5, status = 'reviewed', version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: list_imports
SELECT id, source_name, year, status, meeting_id, minutes_id, version, created_at, updated_at,
       parsed ->> 'title' AS title, parsed ->> 'date' AS date, jsonb_array_length(parsed -> 'warnings') AS warning_count,
       count(*) OVER () AS total
FROM imports
WHERE ($1::text IS NULL OR status = $1)
ORDER BY created_at DESC, id
LIMIT $2 OFFSET $3;

-- name: clear_attendance
DELETE FROM attendance WHERE meeting_id = $1;
