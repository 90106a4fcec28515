-- name: insert_help_request
INSERT INTO help_requests (id, event_id, pool_key, seats, starts_at, ends_at, place, needs, requested_by)
VALUES (:id, :event_id, :pool_key, :seats, :starts_at, :ends_at, :place, :needs, :requested_by)
RETURNING *;

-- name: list_help_requests
SELECT * FROM help_requests WHERE event_id = :event_id ORDER BY created_at, id;
