-- name: insert_session
INSERT INTO sessions (id_hash, user_id, csrf_token, ip) VALUES ($1, $2, $3, $4);

-- name: session_with_user
SELECT s.id_hash, s.csrf_token, s.created_at, s.last_seen_at,
       u.id AS user_id, u.email, u.name, u.roles, u.organisation_id, u.pool_ids, u.active
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = $1;

-- name: touch_session
UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1;

-- name: delete_session
DELETE FROM sessions WHERE id_hash = $1;

-- name: delete_user_sessions
DELETE FROM sessions WHERE user_id = $1;

-- name: count_user_sessions
SELECT count(*) FROM sessions WHERE user_id = $1;

-- name: delete_expired_sessions
DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2;
