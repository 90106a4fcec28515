-- Series with a recurrence, meetings generated from them, agendas and attendance.
CREATE TABLE series (
    id                uuid PRIMARY KEY,
    group_id          uuid REFERENCES groups (id),
    title             text NOT NULL,
    place             text,
    timezone          text NOT NULL DEFAULT 'Europe/Stockholm',
    frequency         text NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
    interval          integer NOT NULL DEFAULT 1 CHECK (interval BETWEEN 1 AND 12),
    weekday           integer NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    week_of_month     integer CHECK (week_of_month IN (-1, 1, 2, 3, 4)),
    start_time        time NOT NULL,
    duration_minutes  integer NOT NULL CHECK (duration_minutes > 0),
    starts_on         date NOT NULL,
    until             date,
    created_at        timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE meetings
    ADD COLUMN series_id        uuid REFERENCES series (id),
    ADD COLUMN group_id         uuid REFERENCES groups (id),
    ADD COLUMN occurrence_date  date,
    ADD COLUMN source           text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'series', 'import')),
    ADD COLUMN cancel_reason    text;
CREATE UNIQUE INDEX meetings_series_occurrence ON meetings (series_id, occurrence_date);
CREATE INDEX meetings_group ON meetings (group_id, starts_at);

CREATE TABLE agenda_items (
    id                     uuid PRIMARY KEY,
    meeting_id             uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position               integer NOT NULL,
    title                  text NOT NULL,
    kind                   text NOT NULL
                           CHECK (kind IN ('theme', 'working_group_report', 'information', 'decision', 'other')),
    duration_minutes       integer CHECK (duration_minutes > 0),
    responsible_person_id  uuid REFERENCES people (id),
    responsible_group_id   uuid REFERENCES groups (id),
    guests                 text[] NOT NULL DEFAULT '{}',
    description            text
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

CREATE TABLE attendance (
    meeting_id       uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    person_id        uuid NOT NULL REFERENCES people (id),
    status           text NOT NULL CHECK (status IN ('present', 'excused', 'absent', 'guest')),
    organisation_id  uuid REFERENCES organisations (id),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, person_id)
);
CREATE INDEX attendance_organisation ON attendance (organisation_id);
