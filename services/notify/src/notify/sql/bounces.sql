-- name: email_for_bounce
SELECT id, recipient, message_id, status FROM emails WHERE message_id = :message_id;

-- name: remember_bounced_address
INSERT INTO bounced_addresses (address, status, reason, email_id)
VALUES (:address, :status, :reason, :email_id)
ON CONFLICT (address) DO UPDATE
SET bounced_at = now(), status = EXCLUDED.status, reason = EXCLUDED.reason, email_id = EXCLUDED.email_id;

-- name: bounced_address
SELECT address, bounced_at, status, reason, email_id FROM bounced_addresses WHERE address = :address;

-- name: clear_bounced_address
-- An administrator lets mail to the address go again (they know it works now).
DELETE FROM bounced_addresses WHERE address = :address
RETURNING address, bounced_at, status, reason, email_id;

-- name: mark_not_sent
-- A bulk email to an address that bounced for good: never tried, with why.
UPDATE emails SET status = 'failed', last_error = :reason WHERE id = :id AND status = 'pending'
RETURNING id;

-- name: forget_old_bounces
-- A bounce this old says little about the address now (a mailbox may be opened again); bulk mail to
-- it goes again, and a new bounce stops it again.
DELETE FROM bounced_addresses WHERE bounced_at < now() - make_interval(secs => :older_than_seconds);
