-- name: insert_audit
INSERT INTO audit_log (actor_id, actor_email, action, target, detail, ip)
VALUES (:actor_id, :actor_email, :action, :target, :detail::text::jsonb, :ip);

-- name: list_audit
SELECT *, count(*) OVER () AS total
FROM audit_log
WHERE (:action::text IS NULL OR action = :action)
  AND (:actor::text IS NULL OR actor_email ILIKE '%' || :actor || '%')
ORDER BY at DESC, id DESC
LIMIT :limit OFFSET :offset;

-- name: audit_actions
SELECT DISTINCT action FROM audit_log ORDER BY action;
