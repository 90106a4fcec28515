-- name: email_for_bounce
SELECT id, recipient, message_id, status FROM emails WHERE message_id = :message_id;

-- name: remember_bounced_address
INSERT INTO bounced_addresses (address, status, reason, email_id)
VALUES (:address, :status, :reason, :email_id)
ON CONFLICT (address) DO UPDATE
SET bounced_at = now(), status = EXCLUDED.status, reason = EXCLUDED.reason, email_id = EXCLUDED.email_id;

-- name: bounced_address
SELECT bounced_at, status, reason FROM bounced_addresses WHERE address = :address;

-- name: mark_not_sent
-- A bulk email to an address that bounced for good: never tried, with why.
UPDATE emails SET status = 'failed', last_error = :reason WHERE id = :id AND status = 'pending'
RETURNING id;
