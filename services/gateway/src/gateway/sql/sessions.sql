-- name: insert_session
INSERT INTO sessions (id_hash, user_id, csrf_token, ip) VALUES (:id_hash, :user_id, :csrf_token, :ip);

-- name: session_with_user
SELECT s.id_hash, s.csrf_token, s.created_at, s.last_seen_at,
       u.id AS user_id, u.email, u.name, u.roles, u.organisation_id, u.pool_ids, u.active
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = :id_hash;

-- name: touch_session
-- Every page in flight finds its session due at the same moment: the first one touches it, the
-- others skip the row it holds instead of queueing one durable commit after another behind it.
UPDATE sessions SET last_seen_at = now()
WHERE id_hash = (
    SELECT id_hash FROM sessions
    WHERE id_hash = :id_hash AND last_seen_at < :due_before
    FOR UPDATE SKIP LOCKED
);

-- name: delete_session
DELETE FROM sessions WHERE id_hash = :id_hash;

-- name: delete_user_sessions
DELETE FROM sessions WHERE user_id = :user_id;

-- name: count_user_sessions
SELECT count(*) FROM sessions WHERE user_id = :user_id;

-- name: delete_expired_sessions
DELETE FROM sessions WHERE last_seen_at < :idle_since OR created_at < :created_before;

-- name: delete_other_user_sessions
DELETE FROM sessions WHERE user_id = :user_id AND id_hash IS DISTINCT FROM :keep_session;
