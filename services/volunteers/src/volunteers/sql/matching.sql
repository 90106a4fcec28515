-- name: match_members
-- One row per member of the request's pool (those who left it, and the erased, are not asked
-- about), with what matching reads about them as per-person arrays: one round trip and 5,000 rows
-- for 5,000 members, not five queries and four times the rows. The fair-ranking counts cover the
-- year before the request only (:history_starts), so the cost does not grow with the years.
-- :volunteer_id: one person only (a direct assignment, an answer). Each part reads the pool's
-- members only; every aggregate is a hash join of one pass, not a subquery per person.
WITH members AS (
    SELECT v.id, v.name, v.status, m.status AS membership, v.languages, v.areas, v.client_units
    FROM pool_memberships m
    JOIN volunteers v ON v.id = m.volunteer_id
    WHERE m.pool_id = :pool_id AND m.status <> 'left' AND v.status <> 'erased'
      AND (:volunteer_id::uuid IS NULL OR v.id = :volunteer_id)
), counts AS (
    SELECT a.volunteer_id,
           count(*) FILTER (WHERE a.starts_at >= :window_starts) AS recent,
           count(*) FILTER (WHERE a.starts_at >= :month_starts AND a.starts_at < :month_ends) AS this_month,
           max(a.starts_at) AS last_assigned_at
    FROM assignments a
    WHERE a.pool_id = :pool_id AND a.starts_at >= :history_starts
      AND a.status <> 'cancelled' AND a.request_id <> :request_id
      AND (:volunteer_id::uuid IS NULL OR a.volunteer_id = :volunteer_id)
    GROUP BY a.volunteer_id
), held AS (
    SELECT q.volunteer_id, array_agg(q.key) AS keys, array_agg(q.completed_on) AS completed,
           array_agg(q.expires_on) AS expires
    FROM qualifications q JOIN members p ON p.id = q.volunteer_id
    WHERE q.key = ANY(:keys)
    GROUP BY q.volunteer_id
), weekly AS (
    -- Whether they keep a pattern at all, and its slots of the request's weekday only.
    SELECT w.volunteer_id,
           array_agg(w.starts) FILTER (WHERE w.weekday = :weekday) AS starts,
           array_agg(w.ends) FILTER (WHERE w.weekday = :weekday) AS ends
    FROM availability_weekly w JOIN members p ON p.id = w.volunteer_id
    GROUP BY w.volunteer_id
), exceptions AS (
    SELECT e.volunteer_id, array_agg(e.starts_at) AS starts, array_agg(e.ends_at) AS ends,
           array_agg(e.available) AS available, array_agg(e.note) AS notes
    FROM availability_exceptions e JOIN members p ON p.id = e.volunteer_id
    WHERE e.starts_at < :ends_at AND e.ends_at > :starts_at
    GROUP BY e.volunteer_id
), busy AS (
    -- Other assignments (of any pool) at an overlapping time. The range test is the exclusion
    -- constraint's own (assignments_no_overlap), so its index serves it.
    SELECT a.volunteer_id, array_agg(a.starts_at) AS starts, array_agg(a.ends_at) AS ends
    FROM assignments a JOIN members p ON p.id = a.volunteer_id
    WHERE a.status <> 'cancelled' AND a.request_id <> :request_id
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(:starts_at, :ends_at)
    GROUP BY a.volunteer_id
), here AS (
    SELECT DISTINCT h.volunteer_id FROM assignments h
    WHERE h.request_id = :request_id AND h.status <> 'cancelled'
)
SELECT p.id, p.name, p.status, p.membership, p.languages, p.areas, p.client_units,
       c.volunteer_id IS NOT NULL AS consents,
       coalesce(s.recent, 0) AS recent, coalesce(s.this_month, 0) AS this_month, s.last_assigned_at,
       o.status AS offer_status, here.volunteer_id IS NOT NULL AS assigned_here,
       w.volunteer_id IS NOT NULL AS keeps_pattern, w.starts AS weekly_starts, w.ends AS weekly_ends,
       held.keys AS held_keys, held.completed AS held_completed, held.expires AS held_expires,
       x.starts AS away_starts, x.ends AS away_ends, x.available AS away_available, x.notes AS away_notes,
       b.starts AS busy_starts, b.ends AS busy_ends
FROM members p
-- One standing consent per purpose at most (consents_standing), so the join adds no rows.
LEFT JOIN consents c ON c.volunteer_id = p.id AND c.purpose = :purpose AND c.withdrawn_at IS NULL
LEFT JOIN counts s ON s.volunteer_id = p.id
LEFT JOIN offers o ON o.request_id = :request_id AND o.volunteer_id = p.id
LEFT JOIN here ON here.volunteer_id = p.id
LEFT JOIN weekly w ON w.volunteer_id = p.id
LEFT JOIN held ON held.volunteer_id = p.id
LEFT JOIN exceptions x ON x.volunteer_id = p.id
LEFT JOIN busy b ON b.volunteer_id = p.id;
