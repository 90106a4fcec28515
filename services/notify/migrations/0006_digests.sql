-- Emails held for a digest: the rendered email of an event, kept until the person's digest goes out.
-- The id is the one the email itself would have had, so a redelivered event holds nothing twice.
CREATE TABLE digest_items (
    id              uuid PRIMARY KEY,
    address         text        NOT NULL CHECK (address = lower(address)),
    recipient       text        NOT NULL,
    frequency       text        NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    category        text        NOT NULL,
    template        text        NOT NULL,
    cause_event_id  uuid        NOT NULL,
    language        text        NOT NULL DEFAULT 'sv',
    subject         text        NOT NULL,
    body_text       text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- the digest email that carried it; NULL while it waits
    digest_email_id uuid
);
CREATE INDEX digest_items_waiting ON digest_items (address, frequency, created_at) WHERE digest_email_id IS NULL;
