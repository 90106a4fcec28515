-- name: insert_endpoint
INSERT INTO webhook_endpoints (id, organisation_id, url, description, topics, secret, contact_email,
    created_by, created_at, updated_at)
VALUES (:id, :organisation_id, :url, :description, :topics, :secret, :contact_email, :created_by, :now, :now)
RETURNING *;

-- name: list_endpoints
-- :organisation_id NULL: every organisation's (administrators).
SELECT *, count(*) OVER () AS total
FROM webhook_endpoints
WHERE :organisation_id::uuid IS NULL OR organisation_id = :organisation_id::uuid
ORDER BY created_at, id
LIMIT :limit OFFSET :offset;

-- name: get_endpoint
SELECT * FROM webhook_endpoints
WHERE id = :id AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id::uuid);

-- name: lock_endpoint
SELECT * FROM webhook_endpoints
WHERE id = :id AND (:organisation_id::uuid IS NULL OR organisation_id = :organisation_id::uuid)
FOR UPDATE;

-- name: update_endpoint
UPDATE webhook_endpoints
SET url = :url, description = :description, topics = :topics, contact_email = :contact_email,
    updated_at = :now
WHERE id = :id
RETURNING *;

-- name: enable_endpoint
-- A fresh start: the five days of failures are counted again from the next failure.
UPDATE webhook_endpoints
SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, updated_at = :now
WHERE id = :id
RETURNING *;

-- name: disable_endpoint
-- Only an enabled endpoint: RETURNING says this call disabled it, so its contact is told once.
UPDATE webhook_endpoints
SET disabled_at = :now, disabled_reason = :reason, updated_at = :now
WHERE id = :id AND disabled_at IS NULL
RETURNING *;

-- name: rotate_secret
-- The current secret goes on signing beside the new one until :overlap_until.
UPDATE webhook_endpoints
SET previous_secret = secret, previous_secret_until = :overlap_until, secret = :secret, updated_at = :now
WHERE id = :id
RETURNING *;

-- name: delete_endpoint
DELETE FROM webhook_endpoints WHERE id = :id;

-- name: fan_out
-- One message per enabled endpoint that takes :topic (of the organisations :organisation_ids only,
-- when given; NULL: every organisation's). A redelivered event adds nothing: (endpoint, cause, topic)
-- is unique.
INSERT INTO webhook_messages (id, endpoint_id, topic, cause_event_id, body, next_attempt_at, created_at)
SELECT gen_random_uuid(), e.id, :topic, :cause_event_id, :body, :now, :now
FROM webhook_endpoints e
WHERE e.disabled_at IS NULL AND :topic = ANY(e.topics)
  AND (:organisation_ids::uuid[] IS NULL OR e.organisation_id = ANY(:organisation_ids::uuid[]))
ON CONFLICT DO NOTHING;

-- name: remember_event_audience
INSERT INTO webhook_event_audiences (event_id, audience, organiser_ids)
VALUES (:event_id, :audience, :organiser_ids)
ON CONFLICT (event_id) DO UPDATE SET audience = excluded.audience, organiser_ids = excluded.organiser_ids;

-- name: event_audience
SELECT audience, organiser_ids FROM webhook_event_audiences WHERE event_id = :event_id;

-- name: remember_registration
INSERT INTO webhook_registrations (registration_id, organisation_id, event_id)
VALUES (:registration_id, :organisation_id, :event_id)
ON CONFLICT DO NOTHING;

-- name: organisation_of_registration
SELECT organisation_id FROM webhook_registrations WHERE registration_id = :registration_id;

-- name: insert_message
INSERT INTO webhook_messages (id, endpoint_id, topic, cause_event_id, body, next_attempt_at, created_at)
VALUES (:id, :endpoint_id, :topic, NULL, :body, :now, :now)
RETURNING *;

-- name: claim_due_messages
-- Leases due messages of enabled endpoints (:limit at most) until :now + :lease_seconds, in a
-- transaction of its own, so no row stays locked while HTTP talks; a worker that dies gives them
-- back when the lease ends. Later changes of these rows name :lease_token.
UPDATE webhook_messages m
SET next_attempt_at = :now::timestamptz + make_interval(secs => :lease_seconds), lease_token = :lease_token
FROM webhook_endpoints e
WHERE e.id = m.endpoint_id AND m.id IN (
    SELECT d.id FROM webhook_messages d JOIN webhook_endpoints de ON de.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND de.disabled_at IS NULL
    ORDER BY d.next_attempt_at
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
)
RETURNING m.id, m.endpoint_id, m.body, m.attempts, e.url, e.secret, e.previous_secret,
          e.previous_secret_until;

-- name: insert_attempt
INSERT INTO webhook_attempts (message_id, attempted_at, status_code, error, duration_ms)
VALUES (:message_id, :attempted_at, :status_code, :error, :duration_ms);

-- name: mark_succeeded
UPDATE webhook_messages
SET status = 'succeeded', succeeded_at = :now, attempts = attempts + 1, last_status_code = :status_code,
    last_error = NULL, last_attempt_at = :now, lease_token = NULL
WHERE id = :id AND lease_token = :lease_token AND status = 'pending';

-- name: mark_failed
-- :wait_seconds NULL: the schedule is over (or the endpoint is gone), the message has failed.
UPDATE webhook_messages
SET attempts = attempts + 1,
    status = CASE WHEN :wait_seconds::float8 IS NULL THEN 'failed' ELSE 'pending' END,
    next_attempt_at = :now::timestamptz + make_interval(secs => coalesce(:wait_seconds::float8, 0)),
    last_status_code = :status_code, last_error = :error, last_attempt_at = :now, lease_token = NULL
WHERE id = :id AND lease_token = :lease_token AND status = 'pending'
RETURNING status;

-- name: endpoints_succeeded
UPDATE webhook_endpoints SET failing_since = NULL
WHERE id = ANY(:ids::uuid[]) AND failing_since IS NOT NULL;

-- name: endpoint_failed
-- The first failure since the last success starts the five days after which it is disabled.
UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, :now)
WHERE id = :id
RETURNING failing_since;

-- name: release_messages
UPDATE webhook_messages SET next_attempt_at = :now, lease_token = NULL
WHERE id = ANY(:ids::uuid[]) AND lease_token = :lease_token AND status = 'pending';

-- name: list_messages
-- The delivery log of one endpoint, newest first; :status and the time range are optional.
SELECT id, endpoint_id, topic, cause_event_id, status, attempts, next_attempt_at, last_status_code,
       last_error, last_attempt_at, created_at, succeeded_at, count(*) OVER () AS total
FROM webhook_messages
WHERE endpoint_id = :endpoint_id
  AND (:status::text IS NULL OR status = :status::text)
  AND (:since::timestamptz IS NULL OR created_at >= :since::timestamptz)
  AND (:until::timestamptz IS NULL OR created_at < :until::timestamptz)
ORDER BY created_at DESC, id
LIMIT :limit OFFSET :offset;

-- name: get_message
SELECT * FROM webhook_messages WHERE id = :id AND endpoint_id = :endpoint_id;

-- name: list_attempts
SELECT attempted_at, status_code, error, duration_ms FROM webhook_attempts
WHERE message_id = :message_id ORDER BY attempted_at, id;

-- name: replay_message
-- A new round of the schedule, starting now; the attempts before it stay in the log.
UPDATE webhook_messages
SET status = 'pending', attempts = 0, next_attempt_at = :now, lease_token = NULL
WHERE id = :id AND endpoint_id = :endpoint_id
RETURNING *;

-- name: replay_failed
UPDATE webhook_messages
SET status = 'pending', attempts = 0, next_attempt_at = :now, lease_token = NULL
WHERE endpoint_id = :endpoint_id AND status = 'failed'
  AND created_at >= :since AND created_at < :until
RETURNING id;

-- name: prune_messages
-- Delivered and failed messages (with their attempts) created before :before; pending ones stay.
DELETE FROM webhook_messages
WHERE status <> 'pending' AND created_at < :before;

-- name: endpoints_not_sealed_with
-- Secrets still in plain text (from before migration 0013) or sealed under another key than :prefix's,
-- in id order after :after (NULL: from the start), so a row that cannot be resealed is passed once.
SELECT id FROM webhook_endpoints
WHERE (:after::uuid IS NULL OR id > :after)
  AND (NOT starts_with(secret, :prefix)
       OR (previous_secret IS NOT NULL AND NOT starts_with(previous_secret, :prefix)))
ORDER BY id
LIMIT :limit;

-- name: count_not_sealed_with
SELECT count(*) FROM webhook_endpoints
WHERE NOT starts_with(secret, :prefix)
   OR (previous_secret IS NOT NULL AND NOT starts_with(previous_secret, :prefix));

-- name: lock_endpoint_secrets
SELECT id, secret, previous_secret, previous_secret_until FROM webhook_endpoints WHERE id = :id FOR UPDATE;

-- name: store_sealed_secrets
UPDATE webhook_endpoints SET secret = :secret, previous_secret = :previous_secret WHERE id = :id;
