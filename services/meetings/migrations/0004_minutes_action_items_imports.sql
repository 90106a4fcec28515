-- Minutes (versioned; published versions never change), action items, and imported texts.
CREATE TABLE minutes (
    id               uuid PRIMARY KEY,
    meeting_id       uuid NOT NULL REFERENCES meetings (id),
    version_no       integer NOT NULL,
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'ready_for_review', 'approved', 'published', 'superseded')),
    title            text NOT NULL,
    minute_taker     text,
    sections         jsonb NOT NULL DEFAULT '[]',
    decisions        jsonb NOT NULL DEFAULT '[]',
    correction_note  text,
    needs_review     boolean NOT NULL DEFAULT false,
    revision         integer NOT NULL DEFAULT 1,
    body_text        text NOT NULL DEFAULT '',
    search           tsvector GENERATED ALWAYS AS
                     (to_tsvector('swedish'::regconfig, title || ' ' || body_text)) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    approved_at      timestamptz,
    approved_by      text,
    approved_in_meeting_id uuid REFERENCES meetings (id),
    published_at     timestamptz,
    UNIQUE (meeting_id, version_no)
);
CREATE INDEX minutes_search ON minutes USING gin (search);
CREATE INDEX minutes_status ON minutes (status);

CREATE TABLE action_items (
    id                     uuid PRIMARY KEY,
    meeting_id             uuid NOT NULL REFERENCES meetings (id),
    group_id               uuid REFERENCES groups (id),
    text                   text NOT NULL,
    owner_person_id        uuid REFERENCES people (id),
    owner_name             text,
    due_date               date,
    status                 text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    closed_in_meeting_id   uuid REFERENCES meetings (id),
    closing_note           text,
    closed_at              timestamptz,
    due_soon_notified_at   timestamptz,
    overdue_notified_at    timestamptz,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_items_open ON action_items (status, due_date);
CREATE INDEX action_items_group ON action_items (group_id, status);

CREATE TABLE imports (
    id           uuid PRIMARY KEY,
    source_name  text,
    year         integer,
    text         text NOT NULL,
    parsed       jsonb NOT NULL,
    meeting_id   uuid REFERENCES meetings (id),
    minutes_id   uuid REFERENCES minutes (id),
    status       text NOT NULL DEFAULT 'needs_review' CHECK (status IN ('needs_review', 'reviewed')),
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
