-- One message per event and endpoint (its `webhook-id`), and every attempt to deliver it.
CREATE TABLE webhook_messages (
    id               uuid PRIMARY KEY,
    endpoint_id      uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    topic            text        NOT NULL,
    -- The event that caused it; NULL for a test event.
    cause_event_id   uuid,
    -- The exact body sent and signed, kept as text so every retry signs the same bytes.
    body             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- Attempts in the current round of the schedule (a replay starts a new round).
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_token      uuid,
    last_status_code integer,
    last_error       text,
    last_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL,
    succeeded_at     timestamptz,
    UNIQUE (endpoint_id, cause_event_id, topic)
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_log ON webhook_messages (endpoint_id, created_at DESC);

CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    message_id   uuid        NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    -- NULL when no answer came (refused address, timeout, connection error).
    status_code  integer,
    error        text,
    duration_ms  integer     NOT NULL
);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, attempted_at);
