-- Reminders before an event (never twice for one start time), and anonymising old registrations.

ALTER TABLE events ADD COLUMN reminder_minutes integer[] NOT NULL DEFAULT '{}';

-- One row per reminder and start time: what makes a reminder go out once, and a reschedule give the
-- new time its own reminders while nothing is ever sent for the old one.
CREATE TABLE reminders_sent (
    event_id       uuid NOT NULL REFERENCES events (id),
    minutes_before integer NOT NULL,
    starts_at      timestamptz NOT NULL,
    -- false: skipped, because a reminder closer to the start was due at the same time
    sent           boolean NOT NULL,
    handled_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, minutes_before, starts_at)
);

-- An anonymised registration keeps its event, status and organisation (for the counts) and
-- nothing about the person.
ALTER TABLE registrations ADD COLUMN anonymised_at timestamptz;
ALTER TABLE registrations DROP CONSTRAINT registrations_check;
ALTER TABLE registrations ADD CONSTRAINT registrations_contact
    CHECK (anonymised_at IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL);
CREATE INDEX events_ends_at ON events (ends_at);

SELECT backbone_track_data_version(ARRAY['reminders_sent']::regclass[]);
