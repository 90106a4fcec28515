-- name: insert_oidc_attempt
INSERT INTO oidc_attempts (state, code_verifier, nonce, next_path) VALUES ($1, $2, $3, $4);

-- name: take_oidc_attempt
DELETE FROM oidc_attempts
WHERE state = $1 AND created_at > now() - interval '10 minutes'
RETURNING code_verifier, nonce, next_path;
