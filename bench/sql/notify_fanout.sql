-- The fan-out bench (issue 11): 10,000 people registered for one event, written straight into the
-- events service's database (the API would take minutes, and would send 10,000 confirmations first).

-- name: fanout_seed_registrations
-- $1: the event, $2: the run's id (in every address), $3: how many. Status 'registered', as a
-- confirmed registration stands; the queue number comes from the column's identity, as it would.
INSERT INTO registrations (id, event_id, name, email, status, registered_by)
SELECT gen_random_uuid(), $1::uuid, 'Deltagare ' || i, 'fanout-' || $2 || '-' || i || '@example.se',
       'registered', 'bench'
FROM generate_series(0, $3::int - 1) AS i;

-- name: fanout_events_outbox
-- When the cancellation's notices were written and published (PostgreSQL's clock, the outbox row's).
SELECT count(*) AS rows, min(created_at) AS first_written, max(created_at) AS last_written,
       max(published_at) AS last_published
FROM outbox WHERE subject = 'events.registration.event_cancelled.v1' AND envelope->'data'->>'event_id' = $1;

-- name: fanout_notify_emails
-- When notify queued the emails and when its senders claimed the last of them.
SELECT count(*) AS rows, min(created_at) AS first_queued, max(created_at) AS last_queued,
       max(sent_at) AS last_claimed
FROM emails WHERE template = 'event_cancelled' AND recipient LIKE $1;
