-- name: insert_offer
INSERT INTO offers (id, request_id, volunteer_id, rank, reason, expires_at, sent_at)
VALUES (:id, :request_id, :volunteer_id, :rank, :reason, :expires_at, :sent_at)
RETURNING *;

-- name: get_offer
SELECT * FROM offers WHERE id = :id;

-- name: lock_offer
SELECT * FROM offers WHERE id = :id FOR NO KEY UPDATE;

-- name: set_offer_status
UPDATE offers SET status = :status, answered_at = :answered_at WHERE id = :id RETURNING *;

-- name: outstanding_offers
SELECT * FROM offers WHERE request_id = :request_id AND status = 'sent' ORDER BY rank FOR NO KEY UPDATE;

-- name: requests_with_due_offers
SELECT DISTINCT request_id FROM offers WHERE status = 'sent' AND expires_at <= :now LIMIT :limit;

-- name: due_offers_of_request
SELECT * FROM offers WHERE request_id = :request_id AND status = 'sent' AND expires_at <= :now
ORDER BY rank FOR NO KEY UPDATE;

-- name: insert_assignment
INSERT INTO assignments (id, volunteer_id, request_id, pool_id, offer_id, starts_at, ends_at)
VALUES (:id, :volunteer_id, :request_id, :pool_id, :offer_id, :starts_at, :ends_at)
RETURNING *;

-- name: get_assignment
SELECT * FROM assignments WHERE id = :id;

-- name: lock_assignment
SELECT * FROM assignments WHERE id = :id FOR NO KEY UPDATE;

-- name: cancel_assignment
UPDATE assignments SET status = 'cancelled', cancelled_at = :now, cancelled_by = :cancelled_by,
                       cancel_reason = :reason
WHERE id = :id
RETURNING *;

-- name: busy_overlapping
-- The person's other assignments at an overlapping time (the caller holds their row lock).
SELECT * FROM assignments
WHERE volunteer_id = :volunteer_id AND status <> 'cancelled' AND request_id <> :request_id
  AND starts_at < :ends_at AND ends_at > :starts_at
ORDER BY starts_at LIMIT 1;

-- name: assignment_of_request_and_volunteer
SELECT * FROM assignments
WHERE request_id = :request_id AND volunteer_id = :volunteer_id AND status <> 'cancelled';

-- name: volunteers_by_ids
SELECT * FROM volunteers WHERE id = ANY(:ids);

-- name: lock_outstanding_offer_of
SELECT * FROM offers WHERE request_id = :request_id AND volunteer_id = :volunteer_id AND status = 'sent'
FOR NO KEY UPDATE;

-- name: requests_with_offers_to
-- The open requests waiting for this person's answer, in id order so that locks are taken in one order.
SELECT DISTINCT request_id FROM offers WHERE volunteer_id = :volunteer_id AND status = 'sent' ORDER BY request_id;

-- name: lock_sent_offers_of
SELECT id FROM offers WHERE request_id = :request_id AND volunteer_id = :volunteer_id AND status = 'sent'
FOR UPDATE;
