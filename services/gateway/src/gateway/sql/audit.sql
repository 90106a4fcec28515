-- name: insert_audit
INSERT INTO audit_log (actor_id, actor_email, action, target, detail, ip)
VALUES ($1, $2, $3, $4, $5::text::jsonb, $6);

-- name: list_audit
SELECT *, count(*) OVER () AS total
FROM audit_log
WHERE ($1::text IS NULL OR action = $1)
  AND ($2::text IS NULL OR actor_email ILIKE '%' || $2 || '%')
ORDER BY at DESC, id DESC
LIMIT $3 OFFSET $4;

-- name: audit_actions
SELECT DISTINCT action FROM audit_log ORDER BY action;
