-- name: reviewers_in_pool
-- The chosen reviewers who are active members of the pool, with what a message to them needs.
SELECT v.id, v.name, v.email, v.phone, v.language, v.preferred_channel
FROM volunteers v
JOIN pool_memberships m ON m.volunteer_id = v.id AND m.pool_id = :pool_id AND m.status = 'active'
WHERE v.id = ANY(:ids::uuid[]) AND v.status = 'active'
ORDER BY v.id;

-- name: insert_review
INSERT INTO reviews (id, pool_id, kind, title, original_text, original_lix, deadline, submitted_by, submitted_by_name,
                     submitted_by_email, submitted_by_language)
VALUES (:id, :pool_id, :kind, :title, :original_text, :original_lix, :deadline, :submitted_by, :submitted_by_name,
        :submitted_by_email, :submitted_by_language)
RETURNING *;

-- name: insert_review_reviewer
INSERT INTO review_reviewers (id, review_id, volunteer_id) VALUES (:id, :review_id, :volunteer_id);

-- name: get_review_reviewer
SELECT rr.*, r.pool_id, r.title, r.kind, r.original_text, r.original_lix, r.deadline, r.status AS review_status,
       r.submitted_by, v.status AS volunteer_status
FROM review_reviewers rr JOIN reviews r ON r.id = rr.review_id JOIN volunteers v ON v.id = rr.volunteer_id
WHERE rr.id = :id;

-- name: lock_review
SELECT * FROM reviews WHERE id = :id FOR NO KEY UPDATE;

-- name: store_review_answer
UPDATE review_reviewers
SET status = 'returned', comments = :comments, suggested_text = :suggested_text,
    suggested_lix = :suggested_lix, returned_at = :returned_at
WHERE id = :id AND status = 'assigned'
RETURNING *;

-- name: mark_review_returned
UPDATE reviews SET status = 'returned', version = version + 1, updated_at = now()
WHERE id = :id AND status = 'open';

-- name: decide_review
UPDATE reviews
SET status = :status, decided_by = :decided_by, decided_at = :decided_at, decision_reason = :reason,
    accepted_reviewer_id = :accepted_reviewer_id, version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: get_review
SELECT * FROM reviews WHERE id = :id;

-- name: reviewers_of_review
SELECT rr.*, v.name AS volunteer_name, v.status = 'erased' AS erased,
       (SELECT h.id FROM hours h WHERE h.review_reviewer_id = rr.id AND h.status <> 'rejected') AS hours_id
FROM review_reviewers rr JOIN volunteers v ON v.id = rr.volunteer_id
WHERE rr.review_id = :review_id
ORDER BY rr.created_at, rr.id;

-- name: list_reviews
SELECT r.id, r.pool_id, r.kind, r.title, r.original_lix, r.deadline, r.status, r.submitted_by_name,
       r.created_at, r.updated_at, r.version,
       (SELECT count(*) FROM review_reviewers rr WHERE rr.review_id = r.id) AS reviewers,
       (SELECT count(*) FROM review_reviewers rr WHERE rr.review_id = r.id AND rr.status = 'returned') AS returned,
       count(*) OVER () AS total
FROM reviews r
WHERE (:status::text IS NULL OR r.status = :status)
  AND (:pool_ids::uuid[] IS NULL OR r.pool_id = ANY(:pool_ids))
ORDER BY r.deadline, r.created_at, r.id
LIMIT :limit OFFSET :offset;
