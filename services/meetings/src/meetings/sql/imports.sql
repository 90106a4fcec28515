-- name: insert_import
INSERT INTO imports (id, source_name, year, text, parsed, meeting_id, minutes_id)
VALUES (:id, :source_name, :year, :text, :parsed, :meeting_id, :minutes_id)
RETURNING *;

-- name: get_import
SELECT * FROM imports WHERE id = :id;

-- name: lock_import
SELECT * FROM imports WHERE id = :id FOR UPDATE;

-- name: update_import
UPDATE imports
SET parsed = :parsed, meeting_id = :meeting_id, minutes_id = :minutes_id, status = 'reviewed', version = version + 1, updated_at = now()
WHERE id = :id AND version = :version
RETURNING *;

-- name: list_imports
SELECT id, source_name, year, status, meeting_id, minutes_id, version, created_at, updated_at,
       parsed ->> 'title' AS title, parsed ->> 'date' AS date, jsonb_array_length(parsed -> 'warnings') AS warning_count,
       count(*) OVER () AS total
FROM imports
WHERE (:status::text IS NULL OR status = :status)
ORDER BY created_at DESC, id
LIMIT :limit OFFSET :offset;

-- name: clear_attendance
DELETE FROM attendance WHERE meeting_id = :meeting_id;
