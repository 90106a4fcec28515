-- Which organisation each registration belongs to, from `events.registration.created.v1`: its
-- cancellation names no organisation, and only that organisation's endpoints may hear of it.
CREATE TABLE webhook_registrations (
    registration_id uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    event_id        uuid NOT NULL
);
