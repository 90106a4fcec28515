-- The programme of an event, and check-in at the door (a nonce per scan, so a retry counts once).

CREATE TABLE programme_items (
    id          uuid PRIMARY KEY,
    event_id    uuid NOT NULL REFERENCES events (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    room        text,
    title       text NOT NULL,
    responsible text,
    notes       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX programme_items_event ON programme_items (event_id, starts_at, id);

ALTER TABLE registrations ADD COLUMN checked_in_at timestamptz;

CREATE TABLE check_ins (
    -- Made by the phone for each scan or tap and sent again on every retry.
    nonce           text PRIMARY KEY,
    registration_id uuid NOT NULL REFERENCES registrations (id),
    checked_in_at   timestamptz NOT NULL DEFAULT now(),
    checked_in_by   text
);
CREATE INDEX check_ins_registration ON check_ins (registration_id);

SELECT backbone_track_data_version(ARRAY['programme_items', 'check_ins']::regclass[]);
