-- Requests for helpers (or instructors) from a volunteers pool for an event: what was asked and when.
-- The volunteers service answers them (events.helpers.requested.v1); `confirmed` counts its
-- confirmed assignments as they come back.
CREATE TABLE help_requests (
    id           uuid PRIMARY KEY,
    event_id     uuid NOT NULL REFERENCES events (id),
    pool_key     text NOT NULL,
    seats        integer NOT NULL CHECK (seats > 0),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    place        text,
    needs        text NOT NULL DEFAULT '',
    requested_by text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX help_requests_event ON help_requests (event_id, created_at);

SELECT backbone_track_data_version(ARRAY['help_requests']::regclass[]);
