-- The recipient's language (the email is written in it and says so in Content-Language) and the
-- files that go with an email (an invitation's .ics), stored with it so a retry sends the same bytes.
ALTER TABLE emails
    ADD COLUMN language    text  NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]'::jsonb;

-- What notify knows of each published event, from the events service's events: enough for an
-- invitation's .ics (the events feeds' UID and SEQUENCE) and for the text of its emails.
CREATE TABLE event_calendar (
    event_id       text PRIMARY KEY,
    title          text        NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    timezone       text        NOT NULL,
    venue_name     text,
    venue_address  text,
    sequence       integer     NOT NULL,
    status         text        NOT NULL CHECK (status IN ('published', 'changed', 'cancelled'))
);

-- The people registered, waiting or offered a place, with an address: `offer.accepted` and
-- `offer.expired` carry only ids. Only what an email needs; a registration that ends is deleted.
CREATE TABLE event_registrants (
    registration_id  text PRIMARY KEY,
    event_id         text NOT NULL,
    name             text NOT NULL,
    email            text NOT NULL,
    language         text NOT NULL CHECK (language IN ('sv', 'en')),
    status           text NOT NULL CHECK (status IN ('registered', 'waiting', 'offered'))
);
CREATE INDEX event_registrants_by_event ON event_registrants (event_id);

-- Meetings carry no calendar sequence of their own: notify counts the versions of each meeting's
-- invitation it has sent, so a moved or cancelled meeting replaces the entry in people's calendars.
CREATE TABLE meeting_calendar (
    meeting_id     text PRIMARY KEY,
    sequence       integer NOT NULL,
    -- the event that set `sequence`: handling it again gives the same number
    last_event_id  uuid    NOT NULL
);
