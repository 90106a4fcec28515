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

-- name: match_page
-- Matching in SQL: the rules of matching.py (the readable specification; test_candidates.py checks
-- on generated data that both agree), judged for every member of the pool, with only one page of
-- each list sent back. One row per
--   part 'ranked':   an eligible person on the page, in rank order (fewest recent assignments, then
--                    longest since the last, never assigned first, then the request's own draw);
--   part 'excluded': an excluded person on the page (name order; only those with :reason if given),
--                    their reason codes and what the sentences for them need;
--   part 'reason':   a reason code and how many are excluded by it;
--   part 'totals':   how many are ranked (rank) and excluded on the list paged (count).
-- Requirements come as :keys/:expires in the order of Need.requirements, and the request's local
-- day, weekday and clock times as Python computes them in the service's zone, so the two agree.
WITH members AS MATERIALIZED (
    SELECT v.id, v.name, v.status, m.status AS membership, v.languages, v.areas, v.client_units
    FROM pool_memberships m
    JOIN volunteers v ON v.id = m.volunteer_id
    WHERE m.pool_id = :pool_id AND m.status <> 'left' AND v.status <> 'erased'
), counts AS (
    -- The window (or the month, if it starts earlier) of the pool's assignments, not the year: who
    -- has one there has their last one there too. Covered by assignments_fairness (migration 0013).
    SELECT a.volunteer_id,
           count(*) FILTER (WHERE a.starts_at >= :window_starts) AS recent,
           count(*) FILTER (WHERE a.starts_at >= :month_starts AND a.starts_at < :month_ends) AS this_month,
           max(a.starts_at) AS last_assigned_at
    FROM assignments a
    WHERE a.pool_id = :pool_id AND a.starts_at >= least(:window_starts, :month_starts)
      AND a.status <> 'cancelled' AND a.request_id <> :request_id
    GROUP BY a.volunteer_id
), required AS (
    SELECT r.key, r.expires, r.at, 1 << r.at::integer AS bit
    FROM unnest(:keys::text[], :expires::boolean[]) WITH ORDINALITY AS r (key, expires, at)
), held AS (
    -- Per person one bit per requirement (1 << its position) in each of: has a record of it, one
    -- done by the request's day, one of those with an expiry date, one that meets it.
    SELECT q.volunteer_id,
           bit_or(r.bit) AS recorded,
           bit_or(r.bit) FILTER (WHERE q.completed_on <= :day) AS done,
           bit_or(r.bit) FILTER (WHERE q.completed_on <= :day AND q.expires_on IS NOT NULL) AS dated,
           bit_or(r.bit) FILTER (
               WHERE q.completed_on <= :day AND coalesce(q.expires_on >= :last_day, NOT r.expires)) AS met
    FROM qualifications q
    JOIN required r ON r.key = q.key
    GROUP BY q.volunteer_id
), exceptions AS (
    SELECT e.volunteer_id,
           bool_or(e.available AND e.starts_at <= :starts_at AND :ends_at <= e.ends_at) AS extra,
           bool_or(NOT e.available) AS away
    FROM availability_exceptions e
    WHERE tstzrange(e.starts_at, e.ends_at) && tstzrange(:starts_at, :ends_at)
    GROUP BY e.volunteer_id
), pattern AS (
    -- Everyone with a weekly pattern, and whether one of its slots holds the request.
    SELECT w.volunteer_id,
           bool_or(w.weekday = :weekday AND :same_day AND w.starts <= :local_starts AND :local_ends <= w.ends) AS fits
    FROM availability_weekly w
    GROUP BY w.volunteer_id
), busy AS (
    SELECT DISTINCT a.volunteer_id
    FROM assignments a
    WHERE a.status <> 'cancelled' AND a.request_id <> :request_id
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(:starts_at, :ends_at)
), here AS (
    SELECT DISTINCT h.volunteer_id FROM assignments h
    WHERE h.request_id = :request_id AND h.status <> 'cancelled'
), offered AS (
    SELECT o.volunteer_id, o.status FROM offers o WHERE o.request_id = :request_id
), judged AS MATERIALIZED (
    -- The codes in the order matching.reasons gives them.
    SELECT p.id, p.name, coalesce(s.recent, 0)::integer AS recent,
           coalesce(s.this_month, 0)::integer AS this_month, s.last_assigned_at,
           array_remove(ARRAY[
               CASE p.status WHEN 'active' THEN NULL WHEN 'paused' THEN 'volunteer_paused' ELSE 'volunteer_erased' END,
               CASE p.membership WHEN 'active' THEN NULL WHEN 'applied' THEN 'pool_applied'
                                 WHEN 'paused' THEN 'pool_paused' ELSE 'pool_left' END,
               CASE WHEN c.volunteer_id IS NULL THEN 'no_consent' END,
               CASE WHEN here.volunteer_id IS NOT NULL THEN 'assigned_here'
                    WHEN o.status = 'sent' THEN 'offer_waiting'
                    WHEN o.status = 'declined' THEN 'offer_declined'
                    WHEN o.status = 'expired' THEN 'offer_expired'
                    WHEN o.status IS NOT NULL THEN 'offer_answered' END
           ], NULL)
           || CASE WHEN coalesce(h.met, 0) = :all_met THEN '{}'::text[] ELSE ARRAY(
                  SELECT CASE WHEN coalesce(h.recorded, 0) & r.bit = 0 THEN 'requirement_missing'
                              WHEN coalesce(h.done, 0) & r.bit = 0 THEN 'requirement_later'
                              WHEN coalesce(h.dated, 0) & r.bit = 0 THEN 'requirement_undated'
                              ELSE 'requirement_expired' END || ':' || r.key
                  FROM required r WHERE coalesce(h.met, 0) & r.bit = 0 ORDER BY r.at) END
           || array_remove(ARRAY[
               CASE WHEN :unit::text IS NOT NULL AND :unit = ANY(p.client_units) THEN 'client_of_unit' END,
               CASE WHEN :language::text IS NOT NULL AND NOT (:language = ANY(p.languages)) THEN 'language' END,
               CASE WHEN :area::text IS NOT NULL AND cardinality(p.areas) > 0 AND NOT (:area = ANY(p.areas))
                    THEN 'area' END,
               CASE WHEN x.extra THEN NULL WHEN x.away THEN 'away'
                    WHEN w.volunteer_id IS NULL OR w.fits THEN NULL ELSE 'not_available' END,
               CASE WHEN b.volunteer_id IS NOT NULL THEN 'busy' END,
               CASE WHEN coalesce(s.this_month, 0) >= :monthly_cap THEN 'monthly_cap' END
           ], NULL) AS codes
    FROM members p
    -- One standing consent per purpose at most (consents_standing), so the join adds no rows.
    LEFT JOIN consents c ON c.volunteer_id = p.id AND c.purpose = :purpose AND c.withdrawn_at IS NULL
    LEFT JOIN counts s ON s.volunteer_id = p.id
    LEFT JOIN offered o ON o.volunteer_id = p.id
    LEFT JOIN here ON here.volunteer_id = p.id
    LEFT JOIN held h ON h.volunteer_id = p.id
    LEFT JOIN exceptions x ON x.volunteer_id = p.id
    LEFT JOIN pattern w ON w.volunteer_id = p.id
    LEFT JOIN busy b ON b.volunteer_id = p.id
), ranked AS (
    SELECT j.id, j.name, j.recent, j.this_month, coalesce(j.last_assigned_at, earlier.at) AS last_assigned_at,
           row_number() OVER (ORDER BY j.recent, coalesce(j.last_assigned_at, earlier.at) NULLS FIRST,
                                       sha256(uuid_send(:request_id) || uuid_send(j.id))) AS rank
    FROM judged j
    -- Nothing in the window: their last assignment of the year, if any, is from before it.
    LEFT JOIN LATERAL (
        SELECT max(a.starts_at) AS at FROM assignments a
        WHERE j.last_assigned_at IS NULL AND a.volunteer_id = j.id AND a.pool_id = :pool_id
          AND a.starts_at >= :history_starts AND a.starts_at < least(:window_starts, :month_starts)
          AND a.status <> 'cancelled' AND a.request_id <> :request_id
    ) earlier ON true
    WHERE cardinality(j.codes) = 0
), listed AS (
    SELECT j.*, row_number() OVER (ORDER BY j.name COLLATE "C", j.id) AS at
    FROM judged j
    WHERE cardinality(j.codes) > 0 AND (:reason::text IS NULL OR :reason = ANY(j.codes))
), shown AS (
    SELECT * FROM listed
    WHERE at > :excluded_offset AND (:excluded_limit::integer IS NULL OR at <= :excluded_offset + :excluded_limit)
)
SELECT 'ranked' AS part, r.rank AS at, r.id, r.name, NULL::text[] AS codes, r.recent, r.this_month,
       r.last_assigned_at, NULL::bigint AS count, NULL::text[] AS latest_keys, NULL::date[] AS latest_on,
       NULL::timestamptz AS away_starts, NULL::timestamptz AS away_ends, NULL::text AS away_note,
       NULL::timestamptz AS busy_starts, NULL::timestamptz AS busy_ends
FROM ranked r
WHERE r.rank > :ranked_offset AND (:ranked_limit::integer IS NULL OR r.rank <= :ranked_offset + :ranked_limit)
UNION ALL
SELECT 'excluded', e.at, e.id, e.name, e.codes, e.recent, e.this_month, e.last_assigned_at, NULL,
       l.keys, l.latest, x.starts_at, x.ends_at, x.note, b.starts_at, b.ends_at
FROM shown e
-- What the sentences need, read for the page's rows only.
LEFT JOIN LATERAL (
    SELECT array_agg(r.key ORDER BY r.at) AS keys, array_agg(m.latest ORDER BY r.at) AS latest
    FROM required r
    CROSS JOIN LATERAL (
        SELECT max(q.expires_on) AS latest FROM qualifications q
        WHERE q.volunteer_id = e.id AND q.key = r.key AND q.completed_on <= :day
    ) m
) l ON true
LEFT JOIN LATERAL (
    SELECT a.starts_at, a.ends_at, a.note FROM availability_exceptions a
    WHERE a.volunteer_id = e.id AND NOT a.available
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(:starts_at, :ends_at)
    ORDER BY a.starts_at, a.ends_at, a.note COLLATE "C"
    LIMIT 1
) x ON true
LEFT JOIN LATERAL (
    SELECT a.starts_at, a.ends_at FROM assignments a
    WHERE a.volunteer_id = e.id AND a.status <> 'cancelled' AND a.request_id <> :request_id
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(:starts_at, :ends_at)
    ORDER BY a.starts_at, a.ends_at
    LIMIT 1
) b ON true
UNION ALL
SELECT 'reason', NULL, NULL, code, NULL, NULL, NULL, NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM judged j, unnest(j.codes) AS code
GROUP BY code
UNION ALL
SELECT 'totals', (SELECT count(*) FROM ranked), NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM listed),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL
ORDER BY part, at;
