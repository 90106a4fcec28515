-- name: insert_help_request
INSERT INTO help_requests (id, event_id, pool_key, seats, starts_at, ends_at, place, needs, requested_by)
VALUES (:id, :event_id, :pool_key, :seats, :starts_at, :ends_at, :place, :needs, :requested_by)
RETURNING *;

-- name: list_help_requests
-- With how many helpers the volunteers service has confirmed and not cancelled.
SELECT h.*,
       (SELECT count(*) FROM help_assignments a
        WHERE a.help_request_id = h.id AND a.confirmed_at IS NOT NULL AND a.cancelled_at IS NULL)::int AS confirmed
FROM help_requests h
WHERE h.event_id = :event_id
ORDER BY h.created_at, h.id;

-- name: help_request_exists
SELECT EXISTS (SELECT 1 FROM help_requests WHERE id = :id);

-- name: confirm_help_assignment
INSERT INTO help_assignments (assignment_id, help_request_id, volunteer_id, confirmed_at)
VALUES (:assignment_id, :help_request_id, :volunteer_id, :at)
ON CONFLICT (assignment_id) DO UPDATE
SET help_request_id = EXCLUDED.help_request_id, volunteer_id = EXCLUDED.volunteer_id,
    confirmed_at = coalesce(help_assignments.confirmed_at, EXCLUDED.confirmed_at);

-- name: cancel_help_assignment
INSERT INTO help_assignments (assignment_id, cancelled_at)
VALUES (:assignment_id, :at)
ON CONFLICT (assignment_id) DO UPDATE
SET cancelled_at = coalesce(help_assignments.cancelled_at, EXCLUDED.cancelled_at);
