-- name: insert_user
INSERT INTO users (id, email, name, password_hash, roles, organisation_id, pool_ids, oidc_subject)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: user_by_email
SELECT * FROM users WHERE lower(email) = lower($1);

-- name: user_by_id
SELECT * FROM users WHERE id = $1;

-- name: user_by_oidc_subject
SELECT * FROM users WHERE oidc_subject = $1;

-- name: link_oidc_subject
UPDATE users SET oidc_subject = $2 WHERE id = $1;

-- name: set_password
UPDATE users SET password_hash = $2 WHERE id = $1;

-- name: update_access
UPDATE users SET name = $2, roles = $3, organisation_id = $4, pool_ids = $5, active = $6
WHERE id = $1
RETURNING *;

-- name: count_users
SELECT count(*) FROM users;

-- name: list_users
SELECT *, count(*) OVER () AS total
FROM users
WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR email ILIKE '%' || $1 || '%')
  AND ($2::text IS NULL OR $2 = ANY (roles))
ORDER BY name, email
LIMIT $3 OFFSET $4;
