-- Meetings: the walking skeleton's first table; series, agendas and minutes build on it.
CREATE TABLE meetings (
    id          uuid PRIMARY KEY,
    title       text        NOT NULL,
    group_name  text,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    timezone    text        NOT NULL DEFAULT 'Europe/Stockholm',
    place       text,
    status      text        NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX meetings_starts_at ON meetings (starts_at);

CREATE TABLE meeting_invitees (
    meeting_id  uuid NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    name        text NOT NULL,
    email       text NOT NULL,
    PRIMARY KEY (meeting_id, position)
);
