-- name: get_assignment_for_hours
SELECT a.id, a.volunteer_id, a.pool_id, a.starts_at, a.ends_at, a.status,
       p.name AS pool_name, v.name AS volunteer_name, v.status AS volunteer_status
FROM assignments a
JOIN pools p ON p.id = a.pool_id
JOIN volunteers v ON v.id = a.volunteer_id
WHERE a.id = :assignment_id;

-- name: lock_assignment_for_hours
SELECT id FROM assignments WHERE id = :assignment_id FOR NO KEY UPDATE;

-- name: standing_hours_of_assignment
SELECT * FROM hours WHERE assignment_id = :assignment_id AND status <> 'rejected';

-- name: standing_hours_of_reviewer
SELECT * FROM hours WHERE review_reviewer_id = :review_reviewer_id AND status <> 'rejected';

-- name: insert_hours
INSERT INTO hours (id, assignment_id, review_reviewer_id, volunteer_id, pool_id, work_date, minutes, note,
                   status, proposed_by, logged_by, decided_by, decided_at)
VALUES (:id, :assignment_id, :review_reviewer_id, :volunteer_id, :pool_id, :work_date, :minutes, :note,
        :status, :proposed_by, :logged_by, :decided_by, :decided_at)
RETURNING *;

-- name: get_hours_for_update
SELECT * FROM hours WHERE id = :id FOR NO KEY UPDATE;

-- name: decide_hours
UPDATE hours
SET status = :status, decided_by = :decided_by, decided_at = :decided_at, reject_reason = :reject_reason,
    minutes = :minutes, version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: get_hours
SELECT h.*, p.name AS pool_name, v.name AS volunteer_name
FROM hours h JOIN pools p ON p.id = h.pool_id JOIN volunteers v ON v.id = h.volunteer_id
WHERE h.id = :id;

-- name: list_hours
SELECT h.*, p.name AS pool_name, v.name AS volunteer_name, count(*) OVER () AS total
FROM hours h JOIN pools p ON p.id = h.pool_id JOIN volunteers v ON v.id = h.volunteer_id
WHERE (:status::text IS NULL OR h.status = :status)
  AND (:pool_ids::uuid[] IS NULL OR h.pool_id = ANY(:pool_ids))
  AND (:volunteer_id::uuid IS NULL OR h.volunteer_id = :volunteer_id)
ORDER BY h.created_at, h.id
LIMIT :limit OFFSET :offset;
