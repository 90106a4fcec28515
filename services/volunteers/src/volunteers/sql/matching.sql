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
-- What is known about each person is read as one stream of facts (membership, consent, recent
-- assignments, qualifications, weekly slots, absences, clashes, offers), each fact setting only
-- its own columns, and folded by one aggregate per person: a person costs the rows they have, not
-- one hash join per kind of fact (the judged list of 5,000 was most of a match's time before).
-- Only the excluded get their codes as text.
WITH required AS (
    SELECT r.key, r.expires, r.at, 1 << r.at::integer AS bit
    FROM unnest(:keys::text[], :expires::boolean[]) WITH ORDINALITY AS r (key, expires, at)
), facts AS (
    -- flags (bits, bit_or per person): 1 member, 2 volunteer paused, 4 erased, 8 applied, 16 pool paused, 32 left,
    --        64 client of unit, 128 language, 256 area,
    --        512 consents, 1024 assigned here, 2048 busy, 4096 keeps a pattern, 8192 a slot fits,
    --        16384 extra time, 32768 away, offer: 65536 sent, 131072 declined, 262144 expired, 524288 other.
    SELECT m.volunteer_id AS id, v.name,
           1 | CASE v.status WHEN 'active' THEN 0 WHEN 'paused' THEN 2 ELSE 4 END
             | CASE m.status WHEN 'active' THEN 0 WHEN 'applied' THEN 8 WHEN 'paused' THEN 16 ELSE 32 END
             | CASE WHEN :unit::text IS NOT NULL AND :unit = ANY(v.client_units) THEN 64 ELSE 0 END
             | CASE WHEN :language::text IS NOT NULL AND NOT (:language = ANY(v.languages)) THEN 128 ELSE 0 END
             | CASE WHEN :area::text IS NOT NULL AND cardinality(v.areas) > 0 AND NOT (:area = ANY(v.areas))
                    THEN 256 ELSE 0 END AS flags,
           NULL::integer AS recent, NULL::integer AS this_month, NULL::timestamptz AS last_at,
           NULL::integer AS recorded, NULL::integer AS done, NULL::integer AS dated, NULL::integer AS met
    FROM pool_memberships m
    JOIN volunteers v ON v.id = m.volunteer_id
    WHERE m.pool_id = :pool_id AND m.status <> 'left' AND v.status <> 'erased'
    UNION ALL
    SELECT c.volunteer_id, NULL, 512, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM consents c WHERE c.purpose = :purpose AND c.withdrawn_at IS NULL
    UNION ALL
    SELECT a.volunteer_id, NULL, NULL, (a.starts_at >= :window_starts)::integer,
           (a.starts_at >= :month_starts AND a.starts_at < :month_ends)::integer, a.starts_at,
           NULL, NULL, NULL, NULL
    FROM assignments a
    WHERE a.pool_id = :pool_id AND a.starts_at >= least(:window_starts, :month_starts)
      AND a.status <> 'cancelled' AND a.request_id <> :request_id
    UNION ALL
    SELECT q.volunteer_id, NULL, NULL, NULL, NULL, NULL, r.bit,
           CASE WHEN q.completed_on <= :day THEN r.bit END,
           CASE WHEN q.completed_on <= :day AND q.expires_on IS NOT NULL THEN r.bit END,
           CASE WHEN q.completed_on <= :day AND coalesce(q.expires_on >= :last_day, NOT r.expires) THEN r.bit END
    FROM qualifications q JOIN required r ON r.key = q.key
    UNION ALL
    SELECT w.volunteer_id, NULL,
           CASE WHEN w.weekday = :weekday AND :same_day AND w.starts <= :local_starts AND :local_ends <= w.ends
                THEN 4096 | 8192 ELSE 4096 END,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM availability_weekly w
    UNION ALL
    SELECT e.volunteer_id, NULL,
           CASE WHEN NOT e.available THEN 32768
                WHEN e.starts_at <= :starts_at AND :ends_at <= e.ends_at THEN 16384 ELSE 0 END,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM availability_exceptions e
    WHERE tstzrange(e.starts_at, e.ends_at) && tstzrange(:starts_at, :ends_at)
    UNION ALL
    SELECT a.volunteer_id, NULL, CASE WHEN a.request_id = :request_id THEN 1024 ELSE 2048 END,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM assignments a
    WHERE a.status <> 'cancelled'
      AND (a.request_id = :request_id OR tstzrange(a.starts_at, a.ends_at) && tstzrange(:starts_at, :ends_at))
    UNION ALL
    SELECT o.volunteer_id, NULL,
           CASE o.status WHEN 'sent' THEN 65536 WHEN 'declined' THEN 131072 WHEN 'expired' THEN 262144
                         ELSE 524288 END,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM offers o WHERE o.request_id = :request_id
), people AS (
    SELECT f.id, max(f.name) AS name, bit_or(f.flags) AS flags,
           coalesce(sum(f.recent), 0)::integer AS recent, coalesce(sum(f.this_month), 0)::integer AS this_month,
           max(f.last_at) AS last_assigned_at,
           coalesce(bit_or(f.recorded), 0) AS recorded, coalesce(bit_or(f.done), 0) AS done,
           coalesce(bit_or(f.dated), 0) AS dated, coalesce(bit_or(f.met), 0) AS met
    FROM facts f
    GROUP BY f.id
    HAVING bit_or(f.flags) & 1 = 1
), judged AS MATERIALIZED (
    SELECT p.id, p.name, p.recent, p.this_month, p.last_assigned_at, p.flags, p.recorded, p.done, p.dated,
           p.met,
           p.flags & (2 | 4 | 8 | 16 | 32 | 64 | 128 | 256 | 1024 | 2048 | 983040) <> 0 OR p.flags & 512 = 0
           OR p.met <> :all_met OR p.this_month >= :monthly_cap
           OR (p.flags & 16384 = 0 AND (p.flags & 32768 <> 0 OR p.flags & 12288 = 4096)) AS excluded
    FROM people p
), coded AS (
    -- The codes in the order matching.reasons gives them, for the excluded only.
    SELECT j.id, j.name, j.recent, j.this_month, j.last_assigned_at,
           array_remove(ARRAY[
               CASE WHEN j.flags & 2 <> 0 THEN 'volunteer_paused' WHEN j.flags & 4 <> 0 THEN 'volunteer_erased' END,
               CASE WHEN j.flags & 8 <> 0 THEN 'pool_applied' WHEN j.flags & 16 <> 0 THEN 'pool_paused'
                    WHEN j.flags & 32 <> 0 THEN 'pool_left' END,
               CASE WHEN j.flags & 512 = 0 THEN 'no_consent' END,
               CASE WHEN j.flags & 1024 <> 0 THEN 'assigned_here'
                    WHEN j.flags & 65536 <> 0 THEN 'offer_waiting'
                    WHEN j.flags & 131072 <> 0 THEN 'offer_declined'
                    WHEN j.flags & 262144 <> 0 THEN 'offer_expired'
                    WHEN j.flags & 524288 <> 0 THEN 'offer_answered' END
           ], NULL)
           || CASE WHEN j.met = :all_met THEN '{}'::text[] ELSE ARRAY(
                  SELECT CASE WHEN j.recorded & r.bit = 0 THEN 'requirement_missing'
                              WHEN j.done & r.bit = 0 THEN 'requirement_later'
                              WHEN j.dated & r.bit = 0 THEN 'requirement_undated'
                              ELSE 'requirement_expired' END || ':' || r.key
                  FROM required r WHERE j.met & r.bit = 0 ORDER BY r.at) END
           || array_remove(ARRAY[
               CASE WHEN j.flags & 64 <> 0 THEN 'client_of_unit' END,
               CASE WHEN j.flags & 128 <> 0 THEN 'language' END,
               CASE WHEN j.flags & 256 <> 0 THEN 'area' END,
               CASE WHEN j.flags & 16384 <> 0 THEN NULL WHEN j.flags & 32768 <> 0 THEN 'away'
                    WHEN j.flags & 12288 = 4096 THEN 'not_available' END,
               CASE WHEN j.flags & 2048 <> 0 THEN 'busy' END,
               CASE WHEN j.this_month >= :monthly_cap THEN 'monthly_cap' END
           ], NULL) AS codes
    FROM judged j
    WHERE j.excluded
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
    WHERE NOT j.excluded
), listed AS (
    SELECT j.*, row_number() OVER (ORDER BY j.name COLLATE "C", j.id) AS at
    FROM coded j
    WHERE (:reason::text IS NULL OR :reason = ANY(j.codes))
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
FROM coded j, unnest(j.codes) AS code
GROUP BY code
UNION ALL
SELECT 'totals', (SELECT count(*) FROM ranked), NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM listed),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL
ORDER BY part, at;
