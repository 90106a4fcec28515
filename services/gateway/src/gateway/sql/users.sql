-- name: insert_user
INSERT INTO users (id, email, name, password_hash, roles, organisation_id, pool_ids, oidc_subject)
VALUES (:id, :email, :name, :password_hash, :roles, :organisation_id, :pool_ids, :oidc_subject)
RETURNING *;

-- name: user_by_email
SELECT * FROM users WHERE lower(email) = lower(:email);

-- name: user_by_id
SELECT * FROM users WHERE id = :id;

-- name: user_by_oidc_subject
SELECT * FROM users WHERE oidc_subject = :oidc_subject;

-- name: link_oidc_subject
-- Only an active account that no subject has yet: of two sign-ins racing to link it, one wins.
UPDATE users SET oidc_subject = :oidc_subject WHERE id = :id AND oidc_subject IS NULL AND active
RETURNING *;

-- name: set_password
UPDATE users SET password_hash = :password_hash WHERE id = :id;

-- name: update_access
UPDATE users SET name = :name, roles = :roles, organisation_id = :organisation_id, pool_ids = :pool_ids,
    active = :active
WHERE id = :id
RETURNING *;

-- name: count_users
SELECT count(*) FROM users;

-- name: list_users
SELECT *, count(*) OVER () AS total
FROM users
WHERE (:q::text IS NULL OR name ILIKE '%' || :q || '%' OR email ILIKE '%' || :q || '%')
  AND (:role::text IS NULL OR :role = ANY (roles))
ORDER BY name, email
LIMIT :limit OFFSET :offset;
