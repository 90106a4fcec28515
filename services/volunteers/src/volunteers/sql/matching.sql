-- name: match_members
-- Members of the request's pool (those who left it, and the erased, are not asked about), with
-- the counts fair ranking reads, over the year before the request only (:history_starts), so the
-- cost does not grow with the years. :volunteer_id: one person only (a direct assignment, an answer).
SELECT v.id, v.name, v.status, m.status AS membership, v.languages, v.areas, v.client_units,
       EXISTS (SELECT 1 FROM consents c
               WHERE c.volunteer_id = v.id AND c.purpose = :purpose AND c.withdrawn_at IS NULL) AS consents,
       coalesce(s.recent, 0) AS recent, coalesce(s.this_month, 0) AS this_month, s.last_assigned_at,
       o.status AS offer_status,
       EXISTS (SELECT 1 FROM assignments h
               WHERE h.request_id = :request_id AND h.volunteer_id = v.id AND h.status <> 'cancelled')
           AS assigned_here,
       EXISTS (SELECT 1 FROM availability_weekly w WHERE w.volunteer_id = v.id) AS keeps_pattern
FROM pool_memberships m
JOIN volunteers v ON v.id = m.volunteer_id
LEFT JOIN (
    SELECT a.volunteer_id,
           count(*) FILTER (WHERE a.starts_at >= :window_starts) AS recent,
           count(*) FILTER (WHERE a.starts_at >= :month_starts AND a.starts_at < :month_ends) AS this_month,
           max(a.starts_at) AS last_assigned_at
    FROM assignments a
    WHERE a.pool_id = :pool_id AND a.starts_at >= :history_starts
      AND a.status <> 'cancelled' AND a.request_id <> :request_id
      AND (:volunteer_id::uuid IS NULL OR a.volunteer_id = :volunteer_id)
    GROUP BY a.volunteer_id
) s ON s.volunteer_id = v.id
LEFT JOIN offers o ON o.request_id = :request_id AND o.volunteer_id = v.id
WHERE m.pool_id = :pool_id AND m.status <> 'left' AND v.status <> 'erased'
  AND (:volunteer_id::uuid IS NULL OR v.id = :volunteer_id);

-- name: match_qualifications
SELECT q.volunteer_id, q.key, q.completed_on, q.expires_on FROM qualifications q
JOIN pool_memberships m ON m.volunteer_id = q.volunteer_id AND m.pool_id = :pool_id AND m.status <> 'left'
WHERE q.key = ANY(:keys) AND (:volunteer_id::uuid IS NULL OR q.volunteer_id = :volunteer_id);

-- name: match_weekly
-- The slots of the request's weekday only (match_members says who keeps a pattern at all).
SELECT w.volunteer_id, w.weekday, w.starts, w.ends FROM availability_weekly w
JOIN pool_memberships m ON m.volunteer_id = w.volunteer_id AND m.pool_id = :pool_id AND m.status <> 'left'
WHERE w.weekday = :weekday AND (:volunteer_id::uuid IS NULL OR w.volunteer_id = :volunteer_id);

-- name: match_exceptions
SELECT e.volunteer_id, e.starts_at, e.ends_at, e.available, e.note FROM availability_exceptions e
JOIN pool_memberships m ON m.volunteer_id = e.volunteer_id AND m.pool_id = :pool_id AND m.status <> 'left'
WHERE e.starts_at < :ends_at AND e.ends_at > :starts_at
  AND (:volunteer_id::uuid IS NULL OR e.volunteer_id = :volunteer_id);

-- name: match_busy
-- Other assignments (of any pool) at an overlapping time.
SELECT a.volunteer_id, a.starts_at, a.ends_at FROM assignments a
JOIN pool_memberships m ON m.volunteer_id = a.volunteer_id AND m.pool_id = :pool_id AND m.status <> 'left'
-- The range test is the exclusion constraint's own (assignments_no_overlap), so its index serves it.
WHERE a.status <> 'cancelled' AND a.request_id <> :request_id
  AND tstzrange(a.starts_at, a.ends_at) && tstzrange(:starts_at, :ends_at)
  AND (:volunteer_id::uuid IS NULL OR a.volunteer_id = :volunteer_id);
