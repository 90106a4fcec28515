-- name: insert_oidc_attempt
-- A browser keeps only its newest attempts (:keep_per_browser besides this one), and an address that
-- has :per_address unfinished attempts younger than :lifetime gets no new one: then nothing is inserted
-- or returned.
WITH superseded AS (
    DELETE FROM oidc_attempts
    WHERE state IN (
        SELECT state FROM oidc_attempts WHERE browser_hash = :browser_hash ORDER BY created_at DESC OFFSET :keep_per_browser
    )
)
INSERT INTO oidc_attempts (state, browser_hash, code_verifier, nonce, next_path, client_ip)
SELECT :state, :browser_hash, :code_verifier, :nonce, :next_path, :client_ip
WHERE (SELECT count(*) FROM oidc_attempts WHERE client_ip = :client_ip
      AND created_at > now() - :lifetime::interval) < :per_address
RETURNING state;

-- name: take_oidc_attempt
-- Only the browser that started the attempt may finish it, and only while it is fresh. A refusal
-- leaves the row, so someone replaying a logged callback URL cannot spoil the person's own sign-in.
DELETE FROM oidc_attempts
WHERE state = :state AND browser_hash = :browser_hash AND created_at > now() - :lifetime::interval
RETURNING code_verifier, nonce, next_path;

-- name: delete_old_oidc_attempts
DELETE FROM oidc_attempts WHERE created_at <= now() - :lifetime::interval;
