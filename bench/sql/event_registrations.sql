-- The registration bench (issue 9): its ceiling's stand-ins, and what it reads back from the events
-- database to check the counts and the waiting list's order.

-- name: create_ceiling_tables
-- A stand-in for an event's row (locked by every registration) and for the registrations table.
CREATE TABLE IF NOT EXISTS ceiling_events (id uuid PRIMARY KEY, title text NOT NULL);
CREATE TABLE IF NOT EXISTS ceiling_registrations (
    id         uuid PRIMARY KEY,
    event_id   uuid NOT NULL REFERENCES ceiling_events (id),
    queue_no   bigint GENERATED ALWAYS AS IDENTITY,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- name: insert_ceiling_event
INSERT INTO ceiling_events (id, title) VALUES ($1, 'Bänkevenemang');

-- name: lock_ceiling_event
SELECT id FROM ceiling_events WHERE id = $1 FOR UPDATE;

-- name: insert_ceiling_registration
INSERT INTO ceiling_registrations (id, event_id, email) VALUES ($1, $2, $3);

-- name: registrations_in_queue_order
-- Every registration of the event, in the waiting list's order, with the outbox rows written for it
-- (registration.created: exactly one each) and the position of the first of them in the outbox.
SELECT r.id, r.email, r.status, r.queue_no,
       count(o.id) AS created_events,
       min(o.id) AS outbox_position,
       min(o.envelope -> 'data' ->> 'status') AS announced_status
FROM registrations r
LEFT JOIN outbox o ON o.subject = 'events.registration.created.v1'
                  AND o.envelope -> 'data' ->> 'registration_id' = r.id::text
WHERE r.event_id = $1
GROUP BY r.id
ORDER BY r.queue_no;
