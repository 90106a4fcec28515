-- Who each published event is for, from `events.event.published.v1`: its change and cancellation
-- carry neither audience nor organisers, and an event for staff or for groups may be told only to the
-- endpoints of the organisations that organise it (a public one to every endpoint of the topic).
CREATE TABLE webhook_event_audiences (
    event_id       uuid PRIMARY KEY,
    audience       text   NOT NULL,
    organiser_ids  uuid[] NOT NULL
);
