-- The volunteers database for the matching and offer-click bench (issue 10): one pool of 5,000
-- volunteers who meet its requirements, a year of 50,000 past assignments, and the clutter matching
-- must read past (weekly patterns, absences, assignments at the measured time).

-- name: bench_pool
-- $1: the pool's id.
INSERT INTO pools (id, key, name, monthly_cap, offer_hours) VALUES ($1, 'bench-matching', 'Bänkpool', 4, 48);

-- name: bench_requirements
INSERT INTO pool_requirements (id, pool_id, key, kind, label, expires)
VALUES (gen_random_uuid(), $1, 'belastningsregister', 'certificate', 'Utdrag ur belastningsregistret', true),
       (gen_random_uuid(), $1, 'intervjuteknik', 'training', 'Intervjuteknik', false);

-- name: bench_volunteers
-- $1: how many; $2: the pool. Every tenth a client of the measured unit; every twentieth paused in the pool.
WITH made AS (
    INSERT INTO volunteers (id, name, email, languages, areas, client_units)
    SELECT gen_random_uuid(), 'Volontär ' || i, 'volontar' || i || '@example.se',
           CASE WHEN i % 3 = 0 THEN '{sv,ar}'::text[] ELSE '{sv}'::text[] END,
           CASE WHEN i % 4 = 0 THEN '{kronan}'::text[] ELSE '{}'::text[] END,
           CASE WHEN i % 10 = 0 THEN '{Kronans boende}'::text[] ELSE '{}'::text[] END
    FROM generate_series(1, $1::int) AS i
    RETURNING id
)
INSERT INTO pool_memberships (id, pool_id, volunteer_id, status, joined_at)
SELECT gen_random_uuid(), $2, id, CASE WHEN row_number() OVER () % 20 = 0 THEN 'paused' ELSE 'active' END, now()
FROM made;

-- name: bench_profiles
-- Qualifications (one in fifty with an expired record check), consent, a weekly pattern for every
-- other person, an absence for one in ten. $1: the measured request's start.
WITH people AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM volunteers),
quals AS (
    INSERT INTO qualifications (id, volunteer_id, key, kind, completed_on, expires_on)
    SELECT gen_random_uuid(), id, 'belastningsregister', 'certificate', date '2025-01-01',
           CASE WHEN n % 50 = 0 THEN $1::timestamptz::date - 1 ELSE $1::timestamptz::date + 365 END
    FROM people
    UNION ALL
    SELECT gen_random_uuid(), id, 'intervjuteknik', 'training', date '2025-01-01', NULL FROM people
    RETURNING 1
), consent AS (
    INSERT INTO consents (id, volunteer_id, purpose, text_version, given_at, given_how)
    SELECT gen_random_uuid(), id, 'erbjudanden', '2026-1', now(), 'form' FROM people
    RETURNING 1
), weekly AS (
    INSERT INTO availability_weekly (id, volunteer_id, weekday, starts, ends)
    SELECT gen_random_uuid(), id, d, time '08:00', time '17:00'
    FROM people CROSS JOIN generate_series(1, 5) AS d WHERE n % 2 = 0
    RETURNING 1
)
INSERT INTO availability_exceptions (id, volunteer_id, starts_at, ends_at, available, note)
SELECT gen_random_uuid(), id, $1::timestamptz - interval '1 day', $1::timestamptz + interval '1 day', false, 'borta'
FROM people WHERE n % 10 = 5;

-- name: bench_history
-- One past request a day for a year before $2, 10:00-12:00, and each volunteer on ten of them (days
-- 37 apart: never twice on one request, never overlapping): 10 x volunteers assignments.
WITH days AS (
    INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by, status)
    SELECT gen_random_uuid(), $1, 1000, $2::timestamptz - make_interval(days => d),
           $2::timestamptz - make_interval(days => d) + interval '2 hours', 'bench', 'filled'
    FROM generate_series(1, 365) AS d
    RETURNING id, starts_at, ends_at
), numbered AS (
    SELECT id, starts_at, ends_at, row_number() OVER (ORDER BY starts_at) - 1 AS k FROM days
), people AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM volunteers)
INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at, status)
SELECT gen_random_uuid(), p.id, r.id, $1, r.starts_at, r.ends_at, 'completed'
FROM people p CROSS JOIN generate_series(0, 9) AS j
JOIN numbered r ON r.k = (p.n * 7 + j * 37) % 365;

-- name: bench_busy
-- One in twenty-five already booked at the measured time (another request at the same hour).
WITH other AS (
    INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)
    VALUES (gen_random_uuid(), $1, 1000, $2::timestamptz, $2::timestamptz + interval '2 hours', 'bench')
    RETURNING id, starts_at, ends_at
), people AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM volunteers)
INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at)
SELECT gen_random_uuid(), p.id, o.id, $1, o.starts_at, o.ends_at FROM people p, other o WHERE p.n % 25 = 3;

-- name: bench_volume
SELECT (SELECT count(*) FROM volunteers) AS volunteers,
       (SELECT count(*) FROM assignments) AS assignments;

-- name: bench_double_booked
-- Pairs of live assignments of one person that overlap (must be none).
SELECT count(*) FROM assignments a JOIN assignments b
  ON a.volunteer_id = b.volunteer_id AND a.id < b.id
 AND a.status <> 'cancelled' AND b.status <> 'cancelled'
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at;

-- name: bench_taken
SELECT count(*) FROM assignments WHERE request_id = $1 AND status <> 'cancelled';

-- name: bench_offer_tokens
SELECT envelope->'data'->>'accept_token' AS token FROM outbox
WHERE subject = 'volunteers.offer.sent.v1' AND envelope->'data'->>'request_id' = $1;

-- name: bench_request
-- $1 id, $2 pool, $3 seats, $4 start, $5 offers per place: a request at the unit ten in a hundred are clients of.
INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, place, unit, offers_per_place, requested_by)
VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz + interval '2 hours', 'Stadshuset', 'Kronans boende', $5, 'bench');

-- name: bench_matching_floor
-- What any exact matching must read, read plainly: the pool's members and their year of assignments.
-- $1 the pool, $2 a year before the request.
SELECT (SELECT count(*) FROM pool_memberships m JOIN volunteers v ON v.id = m.volunteer_id
         WHERE m.pool_id = $1) AS members,
       (SELECT count(*) FROM assignments a WHERE a.pool_id = $1 AND a.starts_at >= $2
         AND a.status <> 'cancelled') AS assignments;
