-- name: insert_pool
INSERT INTO pools (id, key, name, description, coordinator_subject, coordinator_name, monthly_cap,
                   offer_hours, paid)
VALUES (:id, :key, :name, :description, :coordinator_subject, :coordinator_name, :monthly_cap,
        :offer_hours, :paid)
RETURNING *;

-- name: insert_requirement
INSERT INTO pool_requirements (id, pool_id, key, kind, label, expires)
VALUES (:id, :pool_id, :key, :kind, :label, :expires)
RETURNING *;

-- name: get_pool
SELECT * FROM pools WHERE id = :id;

-- name: get_pool_by_key
SELECT * FROM pools WHERE key = :key;

-- name: lock_pool
-- NO KEY UPDATE: rows that point here (offers, assignments, hours) only take KEY SHARE, so
-- writing them while another transaction holds this lock does not wait, and cannot deadlock.
SELECT * FROM pools WHERE id = :id FOR NO KEY UPDATE;

-- name: list_pools
-- :pool_ids: a coordinator's pools; NULL: every pool.
SELECT *, count(*) OVER () AS total FROM pools
WHERE (:pool_ids::uuid[] IS NULL OR id = ANY(:pool_ids))
ORDER BY name, id
LIMIT :limit OFFSET :offset;

-- name: requirements_of
SELECT * FROM pool_requirements WHERE pool_id = :pool_id ORDER BY kind, label;

-- name: requirements_of_pools
SELECT * FROM pool_requirements WHERE pool_id = ANY(:pool_ids) ORDER BY kind, label;

-- name: update_pool
UPDATE pools SET
    name = :name, description = :description, coordinator_subject = :coordinator_subject,
    coordinator_name = :coordinator_name, monthly_cap = :monthly_cap, offer_hours = :offer_hours,
    paid = :paid, status = :status, version = version + 1, updated_at = now()
WHERE id = :id
RETURNING *;

-- name: pools_named
-- The pools an identity names in its pool list, by id or by key.
SELECT id FROM pools WHERE id::text = ANY(:names) OR key = ANY(:names);

-- name: member_counts
SELECT pool_id, status, count(*) AS n FROM pool_memberships
WHERE pool_id = ANY(:pool_ids) GROUP BY pool_id, status;
