-- name: insert_request
INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, place, area, language, needs, unit,
                      offers_per_place, requested_by, requested_by_name, requested_by_email,
                      requested_by_language, source, source_ref)
VALUES (:id, :pool_id, :seats, :starts_at, :ends_at, :place, :area, :language, :needs, :unit,
        :offers_per_place, :requested_by, :requested_by_name, :requested_by_email,
        :requested_by_language, :source, :source_ref)
ON CONFLICT (source, source_ref) WHERE source_ref IS NOT NULL DO NOTHING
RETURNING *;

-- name: get_request
SELECT r.*, p.key AS pool_key, p.name AS pool_name, p.offer_hours, p.monthly_cap, p.status AS pool_status
FROM requests r JOIN pools p ON p.id = r.pool_id
WHERE r.id = :id;

-- name: get_request_by_source
SELECT * FROM requests WHERE source = :source AND source_ref = :source_ref;

-- name: lock_request
-- Every change to a request's places, offers and assignments takes this lock first.
SELECT r.*, p.key AS pool_key, p.name AS pool_name, p.offer_hours, p.monthly_cap, p.status AS pool_status
FROM requests r JOIN pools p ON p.id = r.pool_id
WHERE r.id = :id
FOR NO KEY UPDATE OF r;

-- name: set_request_status
UPDATE requests SET status = :status, cancel_reason = :cancel_reason, version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: list_requests
-- :pool_ids: requests of these pools, or :requested_by's own; both NULL: every request.
SELECT r.*, p.key AS pool_key, p.name AS pool_name, count(*) OVER () AS total,
       (SELECT count(*) FROM assignments a WHERE a.request_id = r.id AND a.status <> 'cancelled') AS taken
FROM requests r JOIN pools p ON p.id = r.pool_id
WHERE ((:pool_ids::uuid[] IS NULL AND :requested_by::text IS NULL)
       OR r.pool_id = ANY(:pool_ids) OR r.requested_by = :requested_by)
  AND (:status::text IS NULL OR r.status = :status)
  AND (:pool_id::uuid IS NULL OR r.pool_id = :pool_id)
  AND (:starts_after::timestamptz IS NULL OR r.starts_at >= :starts_after)
ORDER BY r.starts_at, r.id
LIMIT :limit OFFSET :offset;

-- name: assignments_of_request
SELECT a.*, v.name AS volunteer_name FROM assignments a JOIN volunteers v ON v.id = a.volunteer_id
WHERE a.request_id = :request_id ORDER BY a.created_at, a.id;

-- name: offers_of_request
SELECT o.*, v.name AS volunteer_name FROM offers o JOIN volunteers v ON v.id = o.volunteer_id
WHERE o.request_id = :request_id ORDER BY o.rank, o.sent_at;

-- name: count_taken
SELECT count(*) FROM assignments WHERE request_id = :request_id AND status <> 'cancelled';

-- name: count_outstanding
SELECT count(*) FROM offers WHERE request_id = :request_id AND status = 'sent';
