-- name: failures_for
SELECT failures, last_failure_at FROM sign_in_failures WHERE email = lower($1) AND ip = $2;

-- name: record_failure
INSERT INTO sign_in_failures (email, ip, failures, last_failure_at)
VALUES (lower($1), $2, 1, now())
ON CONFLICT (email, ip) DO UPDATE
SET failures = sign_in_failures.failures + 1, last_failure_at = now()
RETURNING failures;

-- name: clear_failures
DELETE FROM sign_in_failures WHERE email = lower($1) AND ip = $2;
