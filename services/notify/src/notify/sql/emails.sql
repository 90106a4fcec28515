-- name: queue_email
INSERT INTO emails (id, cause_event_id, template, recipient, subject, body_text, body_html, message_id, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (cause_event_id, template, recipient) DO NOTHING;

-- name: claim_due_emails
SELECT * FROM emails
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY created_at
LIMIT $1
FOR UPDATE SKIP LOCKED;

-- name: mark_sent
UPDATE emails SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[]);

-- name: mark_attempt_failed
UPDATE emails
SET attempts = attempts + 1,
    last_error = $2,
    status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $4)
WHERE id = $1;
