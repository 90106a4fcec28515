-- The volunteers database for the fee report bench (issue 10): pools with a fee change in the
-- middle of the measured month, volunteers, and a year of approved hours before it.

-- name: fees_seed_pools
INSERT INTO pools (id, key, name, paid)
SELECT gen_random_uuid(), 'bench-pool-' || i, 'Pool ' || i, true FROM generate_series(1, $1::int) AS i;

-- name: fees_seed_fees
-- $1: the first day of the measured month. One fee until its 15th, another from its 16th.
INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, valid_until, created_by)
SELECT gen_random_uuid(), id, 150, date '2000-01-01', $1::date + 14, 'bench' FROM pools
UNION ALL
SELECT gen_random_uuid(), id, 175.50, $1::date + 15, NULL, 'bench' FROM pools;

-- name: fees_seed_volunteers
INSERT INTO volunteers (id, name, email)
SELECT gen_random_uuid(), 'Volontär ' || i, 'volontar' || i || '@example.se' FROM generate_series(1, $1::int) AS i;

-- name: fees_seed_requests
-- One request per pool and day from $1 to $2 (excluded), each with room for everyone.
INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)
SELECT gen_random_uuid(), p.id, 100000, d::date + time '10:00', d::date + time '12:00', 'bench'
FROM pools p, generate_series($1::date, $2::date - 1, interval '1 day') AS d;

-- name: fees_seed_work
-- Each volunteer in one pool: two assignments with approved hours a month for the twelve months
-- from $1, and four in the measured month after them, on days that never overlap.
WITH people AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM volunteers
), pool_list AS (
    SELECT id, row_number() OVER (ORDER BY key) - 1 AS i, count(*) OVER () AS pools FROM pools
), slots AS (
    SELECT p.id AS volunteer_id, pl.id AS pool_id,
           ($1::date + make_interval(months => m))::date + ((p.n + k * 7) % 28)::int AS day
    FROM people p
    JOIN pool_list pl ON pl.i = p.n % pl.pools
    CROSS JOIN generate_series(0, 12) AS m
    CROSS JOIN LATERAL generate_series(0, CASE WHEN m = 12 THEN 3 ELSE 1 END) AS k
), made AS (
    INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at, status)
    SELECT gen_random_uuid(), s.volunteer_id, r.id, s.pool_id, r.starts_at, r.ends_at, 'completed'
    FROM slots s JOIN requests r ON r.pool_id = s.pool_id AND r.starts_at = s.day + time '10:00'
    RETURNING id, volunteer_id, pool_id, starts_at
)
INSERT INTO hours (id, assignment_id, volunteer_id, pool_id, work_date, minutes, status, proposed_by)
SELECT gen_random_uuid(), id, volunteer_id, pool_id, starts_at::date, 30 + abs(hashtext(id::text)) % 150,
       'approved', 'staff'
FROM made;

-- name: fees_volume
SELECT (SELECT count(*) FROM volunteers) AS volunteers,
       (SELECT count(*) FROM hours) AS hours,
       (SELECT count(*) FROM hours WHERE work_date >= $1::date AND work_date < $2::date) AS hours_in_month;
