-- name: lock_pool_for_fees
SELECT id, key, name, paid FROM pools WHERE id = :pool_id FOR NO KEY UPDATE;

-- name: get_pool_for_fees
SELECT id, key, name, paid FROM pools WHERE id = :pool_id;

-- name: overlapping_fees
SELECT * FROM pool_fees
WHERE pool_id = :pool_id
  AND (:except_id::uuid IS NULL OR id <> :except_id)
  AND daterange(valid_from, valid_until, '[]') && daterange(:valid_from::date, :valid_until::date, '[]')
ORDER BY valid_from;

-- name: insert_fee
INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, valid_until, created_by)
VALUES (:id, :pool_id, :hourly_fee, :valid_from, :valid_until, :created_by)
RETURNING *;

-- name: get_fee_for_update
SELECT * FROM pool_fees WHERE id = :id FOR NO KEY UPDATE;

-- name: end_fee
UPDATE pool_fees SET valid_until = :valid_until WHERE id = :id RETURNING *;

-- name: list_fees
SELECT * FROM pool_fees WHERE pool_id = :pool_id ORDER BY valid_from;
