-- Timestamps the services leave behind, read after a run to see where each meeting's time went.
-- All are PostgreSQL's now(): the start of the transaction that wrote them, on this machine's clock.

-- name: meetings_outbox
SELECT envelope->'data'->'invitees'->0->>'email' AS email,
       event_id,
       created_at,
       published_at
FROM outbox
WHERE subject = 'meetings.meeting.scheduled.v1';

-- name: notify_inbox
SELECT event_id, handled_at FROM inbox WHERE subject = 'meetings.meeting.scheduled.v1';

-- name: notify_emails
SELECT cause_event_id, recipient, created_at, sent_at FROM emails;
