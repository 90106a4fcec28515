-- name: queue_email
-- Any conflict means this email is already queued: the id is derived from the cause, the template
-- and the lower-cased address, so a redelivery or another spelling of one address adds nothing.
INSERT INTO emails (id, cause_event_id, template, recipient, subject, body_text, body_html, message_id,
    request_id, language, attachments, category)
SELECT :id, :cause_event_id, :template, :recipient, :subject, :body_text, :body_html, :message_id,
       :request_id, :language, :attachments, :category
-- Held for a digest once (the person chose a digest then): sent with it, never on its own as well.
WHERE NOT EXISTS (SELECT 1 FROM digest_items WHERE id = :id)
ON CONFLICT DO NOTHING
-- No row: nothing was queued (callers that mark other rows by this email go by it).
RETURNING id;

-- name: claim_due_emails
-- Leases the due emails (:limit at most) for :lease_seconds by moving their next attempt past the
-- lease, in a transaction of its own: no row stays locked while SMTP talks, and the rows of a sender
-- that died come back by themselves when the lease ends. :lease_token is this claim's token: every
-- later change of these rows by this sender names it, and a later claim by anyone replaces it.
UPDATE emails
SET next_attempt_at = now() + make_interval(secs => :lease_seconds), lease_token = :lease_token
WHERE id IN (
    SELECT id FROM emails
    WHERE status = 'pending' AND next_attempt_at <= now()
    -- Queued order: after an outage of the relay, the emails go out in the order they were queued.
    ORDER BY queued_seq
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
RETURNING *;

-- name: extend_lease
-- Just before an email is sent: a full lease for its send and its mark, if this claim (:lease_token)
-- still holds it. No row means another sender took it after the lease ran out: do not send it.
UPDATE emails
SET next_attempt_at = now() + make_interval(secs => :lease_seconds)
WHERE id = :id AND lease_token = :lease_token AND status = 'pending'
RETURNING id;

-- name: lease_holds
-- Just before an email is sent: whether this claim (:lease_token) still holds it, pending (not erased,
-- bounced or taken over), with at least :needed seconds of its lease left by the database's clock (the
-- one other senders go by). A read, so no commit to wait for; no row: `extend_lease`, which says
-- whether the email is still ours.
SELECT id FROM emails
WHERE id = :id AND lease_token = :lease_token AND status = 'pending'
  AND next_attempt_at >= now() + make_interval(secs => :needed);

-- name: mark_sent
-- Only a pending row of this claim (:lease_token): a row taken over by another sender, or already
-- marked (a commit whose answer was lost), adds no second event. The attempt goes into the delivery
-- log in the same statement (deliveries.record_attempt's row): one round trip per sent email.
WITH marked AS (
    UPDATE emails
    SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL, lease_token = NULL
    WHERE id = :id AND lease_token = :lease_token AND status = 'pending'
    RETURNING id
)
INSERT INTO delivery_attempts (email_id, outcome, reason)
SELECT id, 'sent', NULL FROM marked
RETURNING email_id;

-- name: mark_attempt_failed
-- :permanent is never retried; :counted is false when the mail server was away (the email itself had
-- no try); :give_up_after_seconds after queueing, a temporary failure fails the email for good.
UPDATE emails
SET attempts = attempts + CASE WHEN :counted THEN 1 ELSE 0 END,
    last_error = :last_error,
    status = CASE WHEN :permanent OR created_at <= now() - make_interval(secs => :give_up_after_seconds)
                  THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => :wait_seconds),
    lease_token = NULL
WHERE id = :id AND lease_token = :lease_token AND status = 'pending'
RETURNING status;

-- name: release_emails
-- Gives back claimed emails (:ids) that were not tried, so they need not wait for their lease to end;
-- only those this claim (:lease_token) still holds.
UPDATE emails SET next_attempt_at = now(), lease_token = NULL
WHERE id = ANY(:ids::uuid[]) AND lease_token = :lease_token AND status = 'pending';

-- name: prune_emails
-- Deletes up to :limit sent or failed emails queued more than :older_than_seconds ago; returns how many.
WITH gone AS (
    DELETE FROM emails
    WHERE id IN (
        SELECT id FROM emails
        WHERE status <> 'pending' AND created_at < now() - make_interval(secs => :older_than_seconds)
        ORDER BY created_at
        LIMIT :limit
    )
    RETURNING 1
)
SELECT count(*) FROM gone;
