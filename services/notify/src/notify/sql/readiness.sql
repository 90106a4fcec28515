-- name: webhook_secret_keys_in_use
-- The keys the stored webhook secrets are sealed under, with how many endpoints each: the current
-- secrets, and the previous ones still signing (their overlap not over). Plain-text secrets (from
-- before migration 0013) need no key.
SELECT split_part(stored, ':', 2) AS key_id, count(DISTINCT id) AS endpoints
FROM (
    SELECT id, secret AS stored FROM webhook_endpoints
    UNION ALL
    SELECT id, previous_secret FROM webhook_endpoints
    WHERE previous_secret IS NOT NULL AND previous_secret_until > now()
) sealed
WHERE stored LIKE 'enc1:%'
GROUP BY 1
ORDER BY 1;
