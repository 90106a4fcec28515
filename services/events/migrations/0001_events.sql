-- Events, the changes that matter to their attendees, and registrations with the waiting list.

CREATE TABLE events (
    id                     uuid PRIMARY KEY,
    title                  text NOT NULL,
    description_sv         text NOT NULL DEFAULT '',
    description_en         text,
    kind                   text NOT NULL,
    venue_name             text,
    venue_address          text,
    accessibility_notes    text,
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL,
    organiser_ids          uuid[] NOT NULL DEFAULT '{}',
    audience               text NOT NULL DEFAULT 'public'
                           CHECK (audience IN ('public', 'staff', 'groups')),
    audience_group_ids     uuid[] NOT NULL DEFAULT '{}',
    -- 'none': only announced here (another organisation's event, with a link), no registration.
    registration           text NOT NULL DEFAULT 'open' CHECK (registration IN ('open', 'none')),
    external_url           text,
    capacity               integer CHECK (capacity IS NULL OR capacity >= 0),
    registration_opens_at  timestamptz,
    registration_closes_at timestamptz,
    -- 'offer': the first in line is offered the place for a while; 'promote': simply registered.
    waitlist_mode          text NOT NULL DEFAULT 'offer' CHECK (waitlist_mode IN ('offer', 'promote')),
    offer_hours            integer NOT NULL DEFAULT 48 CHECK (offer_hours >= 1),
    asks_accessibility     boolean NOT NULL DEFAULT false,
    asks_food              boolean NOT NULL DEFAULT false,
    status                 text NOT NULL DEFAULT 'draft'
                           CHECK (status IN ('draft', 'published', 'changed', 'cancelled')),
    cancel_reason          text,
    -- iCalendar SEQUENCE: raised by every change that matters to attendees (RFC 5545 3.8.7.4).
    sequence               integer NOT NULL DEFAULT 0,
    -- Raised by every update, for If-Match style checks (StaleVersion).
    version                integer NOT NULL DEFAULT 1,
    copied_from            uuid REFERENCES events (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_starts_at ON events (starts_at, id);
CREATE INDEX events_organisers ON events USING gin (organiser_ids);

CREATE TABLE event_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   uuid NOT NULL REFERENCES events (id),
    changed_at timestamptz NOT NULL DEFAULT now(),
    -- 'published', 'rescheduled', 'moved', 'cancelled'
    change     text NOT NULL,
    before     jsonb NOT NULL DEFAULT '{}',
    after      jsonb NOT NULL DEFAULT '{}',
    changed_by text
);
CREATE INDEX event_changes_event ON event_changes (event_id, id);

CREATE TABLE registrations (
    id              uuid PRIMARY KEY,
    event_id        uuid NOT NULL REFERENCES events (id),
    -- The order of the waiting list: registrations of one event are written under its row lock,
    -- so this number follows the order in which they were accepted.
    queue_no        bigint GENERATED ALWAYS AS IDENTITY,
    name            text NOT NULL,
    email           text,
    phone           text,
    organisation_id uuid,
    accessibility   text[] NOT NULL DEFAULT '{}',
    food            text,
    status          text NOT NULL
                    CHECK (status IN ('registered', 'waiting', 'offered', 'cancelled', 'declined', 'expired')),
    -- Raised by every offer, so the links of an earlier offer cannot answer a later one.
    offer_round     integer NOT NULL DEFAULT 0,
    offer_expires_at timestamptz,
    registered_by   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (email IS NOT NULL OR phone IS NOT NULL),
    CHECK (status <> 'offered' OR offer_expires_at IS NOT NULL)
);
CREATE INDEX registrations_event ON registrations (event_id, status, queue_no);
CREATE INDEX registrations_offers_due ON registrations (offer_expires_at) WHERE status = 'offered';

-- Conditional GETs (backbone.conditional): every write to these raises the data version.
SELECT backbone_track_data_version(ARRAY['events', 'event_changes', 'registrations']::regclass[]);
