-- The delivery log: each email's category (for preferences and List-Unsubscribe), a `bounced` end
-- state for a bounce that came back after the relay took the email, and one row per attempt with
-- its outcome and the server's answer, so staff can see why an email did not arrive.
ALTER TABLE emails ADD COLUMN category text NOT NULL DEFAULT 'other';
ALTER TABLE emails ADD COLUMN bounced_at timestamptz;
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check CHECK (status IN ('pending', 'sent', 'failed', 'bounced'));

CREATE TABLE delivery_attempts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_id  uuid        NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL DEFAULT now(),
    -- sent: the server took it; deferred: tried again later; failed: never again; bounced: came back
    outcome   text        NOT NULL CHECK (outcome IN ('sent', 'deferred', 'failed', 'bounced')),
    reason    text
);
CREATE INDEX delivery_attempts_email ON delivery_attempts (email_id, at);

-- Staff search the log by recipient, by the event that caused an email, and by date.
CREATE INDEX emails_recipient ON emails (lower(recipient), created_at DESC);
CREATE INDEX emails_cause ON emails (cause_event_id);
CREATE INDEX emails_created ON emails (created_at DESC);
-- Queued order (rows of one transaction share their created_at), which the sender keeps when a
-- relay comes back after an outage.
ALTER TABLE emails ADD COLUMN queued_seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX emails_due;
CREATE INDEX emails_due ON emails (queued_seq) WHERE status = 'pending';
