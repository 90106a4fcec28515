-- name: record_attempt
INSERT INTO delivery_attempts (email_id, outcome, reason) VALUES (:email_id, :outcome, :reason);

-- name: search_deliveries
-- The delivery log, newest first: by recipient (the start of the address, any case), by the event
-- that caused the email, by the day it was queued (:since inclusive, :until exclusive), by state.
-- At most :cap matches are read (the newest), so a wide search neither counts nor skips the whole
-- table; `total` is then :cap.
WITH matches AS (
    SELECT e.id, e.recipient, e.template, e.category, e.cause_event_id, e.message_id, e.attempts,
           e.last_error, e.created_at, e.sent_at, e.bounced_at, e.next_attempt_at,
           CASE WHEN e.status <> 'pending' THEN e.status
                WHEN e.attempts = 0 AND e.last_error IS NULL THEN 'queued'
                ELSE 'deferred' END AS state
    FROM emails e
    -- The prefix is matched on lower(recipient) as it is indexed (text_pattern_ops).
    WHERE (:recipient::text IS NULL OR lower(e.recipient) LIKE lower(:recipient::text) || '%')
      AND (:cause_event_id::uuid IS NULL OR e.cause_event_id = :cause_event_id::uuid)
      AND (:since::timestamptz IS NULL OR e.created_at >= :since::timestamptz)
      AND (:until::timestamptz IS NULL OR e.created_at < :until::timestamptz)
      AND (:state::text IS NULL OR (CASE WHEN e.status <> 'pending' THEN e.status
                                         WHEN e.attempts = 0 AND e.last_error IS NULL THEN 'queued'
                                         ELSE 'deferred' END) = :state::text)
    ORDER BY e.created_at DESC, e.id
    LIMIT :cap
)
SELECT *, count(*) OVER () AS total
FROM matches
ORDER BY created_at DESC, id
LIMIT :limit OFFSET :offset;

-- name: delivery_by_id
SELECT e.id, e.recipient, e.template, e.category, e.cause_event_id, e.message_id, e.attempts,
       e.last_error, e.created_at, e.sent_at, e.bounced_at, e.next_attempt_at, e.subject,
       CASE WHEN e.status <> 'pending' THEN e.status
            WHEN e.attempts = 0 AND e.last_error IS NULL THEN 'queued'
            ELSE 'deferred' END AS state
FROM emails e WHERE e.id = :id;

-- name: attempts_of
SELECT at, outcome, reason FROM delivery_attempts WHERE email_id = :email_id ORDER BY at, id;

-- name: failing_now
-- What is going wrong now (the start page's card), in one statement: emails waiting after a failed
-- try, and those that failed or bounced in the last :window_seconds. The newest :limit of them, each
-- row with the counts of all of them (the window runs before the limit); no row when none is failing.
SELECT id, recipient, template, attempts, last_error, created_at,
       CASE WHEN status = 'pending' THEN 'deferred' ELSE status END AS state,
       count(*) FILTER (WHERE status = 'pending') OVER () AS deferred,
       count(*) FILTER (WHERE status = 'failed') OVER () AS failed,
       count(*) FILTER (WHERE status = 'bounced') OVER () AS bounced,
       min(created_at) FILTER (WHERE status = 'pending') OVER () AS oldest_deferred_at
FROM emails
WHERE (status = 'pending' AND (attempts > 0 OR last_error IS NOT NULL))
   OR (status = 'failed' AND created_at > now() - make_interval(secs => :window_seconds))
   OR (status = 'bounced' AND bounced_at > now() - make_interval(secs => :window_seconds))
ORDER BY created_at DESC
LIMIT :limit;

-- name: mark_bounced
-- A bounce for an email the relay took: it did not arrive after all. A second report changes nothing.
UPDATE emails SET status = 'bounced', bounced_at = now(), last_error = :reason
WHERE message_id = :message_id AND status = 'sent'
RETURNING id;

-- name: email_by_message_id
SELECT id, status FROM emails WHERE message_id = :message_id;
