-- Each claim stamps its rows with a token of its own; marks and releases need it, so a sender whose
-- lease ran out can no longer change a row another sender now holds.
ALTER TABLE emails ADD COLUMN lease_token uuid;
-- Sent and failed emails are deleted after the retention period, oldest first.
CREATE INDEX emails_done ON emails (created_at) WHERE status <> 'pending';
