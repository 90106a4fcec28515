-- name: already_answered
SELECT 1 FROM rights_answers WHERE request_id = :request_id AND kind = :kind;

-- name: record_answer
INSERT INTO rights_answers (request_id, kind, status) VALUES (:request_id, :kind, :status)
ON CONFLICT (request_id, kind) DO NOTHING;

-- name: emails_to
-- Every email to :address (lower-cased), with its attempts, newest first.
SELECT e.id, e.template, e.category, e.language, e.subject, e.body_text, e.status, e.attempts,
       e.last_error, e.created_at AS queued_at, e.sent_at, e.bounced_at,
       coalesce((SELECT json_agg(json_build_object('at', a.at, 'outcome', a.outcome, 'reason', a.reason)
                                 ORDER BY a.at)
                 FROM delivery_attempts a WHERE a.email_id = e.id), '[]'::json) AS attempts_log
FROM emails e
WHERE lower(e.recipient) = :address
ORDER BY e.created_at DESC, e.queued_seq DESC;

-- name: digest_items_of
SELECT template, category, frequency, language, subject, body_text, created_at,
       digest_email_id IS NOT NULL AS sent_in_digest
FROM digest_items WHERE address = :address ORDER BY created_at;

-- name: registrations_of
SELECT registration_id, event_id, name, email, language, status
FROM event_registrants WHERE lower(email) = :address ORDER BY registration_id;

-- name: forget_unsent_emails
-- Not sent yet: an erased person gets nothing more. Their attempts go with them (ON DELETE CASCADE).
DELETE FROM emails WHERE lower(recipient) = :address AND status = 'pending';

-- name: scrub_attempts
-- The delivery log keeps each attempt's outcome and time; a server's answer that names the person
-- (a bounce often quotes the address) is replaced. :name is '' when the request named nobody.
UPDATE delivery_attempts a SET reason = '(raderad)'
FROM emails e
WHERE a.email_id = e.id AND lower(e.recipient) = :address AND a.reason IS NOT NULL
  AND (strpos(lower(a.reason), :address) > 0 OR (:name <> '' AND strpos(lower(a.reason), :name) > 0));

-- name: scrub_emails
-- Sent, failed and bounced emails stay in the log with their state and times; the address, the
-- text (which greets the person by name) and the .ics (its ATTENDEE) go. The recipient is made
-- unique per row, as (cause_event_id, template, recipient) must stay.
UPDATE emails
SET recipient = 'raderad-' || id::text, subject = '', body_text = '', body_html = '',
    attachments = '[]'::jsonb, request_id = NULL,
    last_error = CASE WHEN strpos(lower(last_error), :address) > 0
                        OR (:name <> '' AND strpos(lower(last_error), :name) > 0)
                      THEN '(raderad)' ELSE last_error END
WHERE lower(recipient) = :address;

-- name: forget_digest_items
DELETE FROM digest_items WHERE address = :address;

-- name: forget_preferences
-- Their choices go with the settings row (ON DELETE CASCADE).
DELETE FROM recipient_settings WHERE address = :address;

-- name: forget_registrations
DELETE FROM event_registrants WHERE lower(email) = :address;

-- name: forget_export_answers
-- Notify's earlier export answers for this person carry their address; the bus has them already
-- (they age out with the stream), the outbox need not keep them.
DELETE FROM outbox
WHERE subject = 'notify.export.completed.v1' AND published_at IS NOT NULL
  AND strpos(lower(envelope::text), :address) > 0;

-- name: dead_letters_naming
-- Messages notify's consumer could not handle (backbone.deadletter_admin) whose stored copy names
-- :address in any case: the bytes read as text (`escape`: other bytes as \ooo), lower-cased.
-- :shown_bytes of each payload, as the administrators' page shows it.
SELECT id, subject, reason, dead_lettered_at, status, resolved_at,
       substring(data FOR :shown_bytes) AS data, octet_length(data) AS data_bytes
FROM dead_letters
WHERE strpos(lower(encode(data, 'escape')), lower(encode(convert_to(:address, 'UTF8'), 'escape'))) > 0
ORDER BY dead_lettered_at, id;

-- name: bounce_of
SELECT bounced_at, status, reason FROM bounced_addresses WHERE address = :address;

-- name: forget_dead_letters
-- Open ones too: handling one later would write to the person again. The copy in the DEADLETTER
-- stream is the operators' (`python -m backbone.deadletters`), with the stream's own age limit.
DELETE FROM dead_letters
WHERE strpos(lower(encode(data, 'escape')), lower(encode(convert_to(:address, 'UTF8'), 'escape'))) > 0;

-- name: forget_bounce
-- Its reason often quotes the address. Mail to an erased person's address stops anyway.
DELETE FROM bounced_addresses WHERE address = :address;
