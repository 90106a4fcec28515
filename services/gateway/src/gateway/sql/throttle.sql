-- Failed sign-ins (see throttle.py). '' stands for "any": ('', ip) counts an address over all accounts,
-- (email, '') an account over all addresses. E-mail addresses come lower-cased, at most 254 characters;
-- ip is an IPv4 address or an IPv6 /64 network.

-- name: failure_count
-- A first look, without a lock or a write: an address that must wait is refused before anything is
-- created for it, so a flood of fresh e-mail addresses from it adds no rows.
SELECT failures, last_failure_at FROM sign_in_failures WHERE email = :email AND ip = :ip;

-- name: lock_failure_counts
-- The three counts of one attempt, created when missing and locked until the transaction ends, always
-- in this order (account and address, account, address) so that two attempts never wait in a circle.
-- An attempt that is refused rolls this back, so it leaves no rows behind.
INSERT INTO sign_in_failures (email, ip, failures, last_failure_at)
VALUES (:email, :ip, 0, :now), (:email, :any, 0, :now), (:any, :ip, 0, :now)
ON CONFLICT (email, ip) DO UPDATE SET failures = sign_in_failures.failures
RETURNING email, ip, failures, last_failure_at;

-- name: set_failure_counts
UPDATE sign_in_failures AS f
SET failures = c.failures, last_failure_at = :now
FROM unnest(:emails::text[], :ips::text[], :failures::integer[]) AS c (email, ip, failures)
WHERE f.email = c.email AND f.ip = c.ip;

-- name: clear_failures
DELETE FROM sign_in_failures WHERE email = :email AND ip = :ip;

-- name: uncount_failure
UPDATE sign_in_failures SET failures = greatest(failures - 1, 0) WHERE email = :email AND ip = :ip;

-- name: delete_forgotten_failures
DELETE FROM sign_in_failures WHERE last_failure_at < :before;

-- name: count_registration
-- Counts one public registration for the address, for the event and over all events (event_id ''),
-- creating the day's rows when missing; the rows stay locked until the transaction ends, always in this
-- order, so that a burst of parallel registrations cannot all pass the check.
INSERT INTO registration_counts (ip, event_id, day, attempts)
VALUES (:ip, :event_id, :day, 1), (:ip, :any, :day, 1)
ON CONFLICT (ip, event_id, day) DO UPDATE SET attempts = registration_counts.attempts + 1
RETURNING event_id, attempts;

-- name: uncount_registration
-- Gives back what count_registration counted, for a registration the service did not take (busy, away).
-- The rows are locked in count_registration's order, the event's before the day's over all events: in
-- any other order a give-back and a count from one address could each hold the row the other waits
-- for (a deadlock, which PostgreSQL ends by failing one of them).
WITH taken AS (
    SELECT ip, event_id, day FROM registration_counts
    WHERE ip = :ip AND event_id IN (:event_id, :any) AND day = :day
    ORDER BY event_id = :any
    FOR UPDATE
)
UPDATE registration_counts r SET attempts = r.attempts - 1
FROM taken t
WHERE r.ip = t.ip AND r.event_id = t.event_id AND r.day = t.day AND r.attempts > 0;

-- name: delete_old_registration_counts
DELETE FROM registration_counts WHERE day < :day;
