-- name: expiring_certificates
-- Qualifications that end between :today and :until, for the start page. :pool_ids: only members
-- of these pools who still stand in them (a coordinator's); NULL: everyone.
SELECT q.id, q.volunteer_id, v.name AS volunteer_name, q.key, q.kind, q.expires_on,
       count(*) OVER () AS total
FROM qualifications q
JOIN volunteers v ON v.id = q.volunteer_id
WHERE v.status <> 'erased'
  AND q.expires_on BETWEEN :today AND :until
  AND (:pool_ids::uuid[] IS NULL OR EXISTS (
        SELECT 1 FROM pool_memberships m WHERE m.volunteer_id = v.id AND m.pool_id = ANY(:pool_ids)
        AND m.status IN ('applied', 'active', 'paused')))
ORDER BY q.expires_on, v.name, q.id
LIMIT :limit;
