-- Emails to send: written by consumers in the same transaction as their inbox row, sent by the sender.
CREATE TABLE emails (
    id               uuid PRIMARY KEY,
    cause_event_id   uuid        NOT NULL,
    template         text        NOT NULL,
    recipient        text        NOT NULL,
    subject          text        NOT NULL,
    body_text        text        NOT NULL,
    body_html        text        NOT NULL,
    message_id       text        NOT NULL UNIQUE,
    request_id       text,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    UNIQUE (cause_event_id, template, recipient)
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'pending';
