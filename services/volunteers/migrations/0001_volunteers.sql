-- Pools and their requirements, volunteers (profile, availability, qualifications, consent),
-- pool memberships, requests from staff or other services, offers and assignments.

-- A person is never booked twice at once: an exclusion constraint on assignments (below).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE pools (
    id             uuid PRIMARY KEY,
    -- Stable, readable name for links, seeds and other services (events asks by pool_key).
    key            text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    -- The coordinator: an identity subject of the gateway, and their name for pages and mails.
    coordinator_subject text,
    coordinator_name    text,
    -- At most this many assignments per volunteer and calendar month in this pool.
    monthly_cap    integer NOT NULL DEFAULT 4 CHECK (monthly_cap >= 1),
    -- How long an offer waits for an answer before it goes to the next candidate.
    offer_hours    integer NOT NULL DEFAULT 48 CHECK (offer_hours >= 1),
    paid           boolean NOT NULL DEFAULT false,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pool_requirements (
    id          uuid PRIMARY KEY,
    pool_id     uuid NOT NULL REFERENCES pools (id),
    -- Matched against qualifications.key: 'intervju-utbildning', 'tystnadsplikt', 'belastningsregister'.
    key         text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    kind        text NOT NULL CHECK (kind IN ('training', 'agreement', 'certificate')),
    label       text NOT NULL,
    -- A certificate (a record check) is only valid until its expiry date.
    expires     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pool_id, key)
);

CREATE TABLE volunteers (
    id                uuid PRIMARY KEY,
    name              text NOT NULL,
    email             text,
    phone             text,
    preferred_channel text NOT NULL DEFAULT 'email' CHECK (preferred_channel IN ('email', 'sms', 'phone')),
    -- The language messages go out in ('sv', 'en', ...).
    language          text NOT NULL DEFAULT 'sv',
    -- Languages they speak, for requests that need one.
    languages         text[] NOT NULL DEFAULT '{sv}',
    -- City areas they can work in ('centrum', 'kronan', ...); empty means anywhere.
    areas             text[] NOT NULL DEFAULT '{}',
    -- What they do not want to do, in their own words; shown to whoever plans.
    does_not_want     text NOT NULL DEFAULT '',
    -- Units where they are a client: never matched to a request from such a unit (conflict of interest).
    client_units      text[] NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'erased')),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'erased' OR email IS NOT NULL OR phone IS NOT NULL)
);

-- The weekly pattern: on `weekday` (1 Monday .. 7 Sunday, ISO) from `starts` to `ends`, local time.
CREATE TABLE availability_weekly (
    id            uuid PRIMARY KEY,
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    weekday       smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts        time NOT NULL,
    ends          time NOT NULL,
    CHECK (ends > starts)
);
CREATE INDEX availability_weekly_volunteer ON availability_weekly (volunteer_id);

-- Exceptions to the pattern: away (available = false) or extra time (available = true).
CREATE TABLE availability_exceptions (
    id            uuid PRIMARY KEY,
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    available     boolean NOT NULL,
    note          text NOT NULL DEFAULT '',
    CHECK (ends_at > starts_at)
);
CREATE INDEX availability_exceptions_volunteer ON availability_exceptions (volunteer_id, starts_at);

-- Trainings done, agreements signed, certificates (with an expiry date).
CREATE TABLE qualifications (
    id            uuid PRIMARY KEY,
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    key           text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('training', 'agreement', 'certificate')),
    completed_on  date NOT NULL,
    expires_on    date,
    note          text NOT NULL DEFAULT '',
    recorded_by   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_on IS NULL OR expires_on >= completed_on)
);
CREATE INDEX qualifications_volunteer ON qualifications (volunteer_id, key);
CREATE INDEX qualifications_expiring ON qualifications (expires_on) WHERE expires_on IS NOT NULL;

-- Consent per purpose: which text they agreed to, when and how; withdrawn by setting withdrawn_at.
-- A new consent to the same purpose is a new row, so the history stays.
CREATE TABLE consents (
    id            uuid PRIMARY KEY,
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    purpose       text NOT NULL,
    text_version  text NOT NULL,
    given_at      timestamptz NOT NULL,
    given_how     text NOT NULL CHECK (given_how IN ('form', 'paper', 'email', 'phone', 'link')),
    recorded_by   text,
    withdrawn_at  timestamptz,
    withdrawn_how text CHECK (withdrawn_how IS NULL OR withdrawn_how IN ('form', 'paper', 'email', 'phone', 'link')),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_how IS NULL))
);
-- At most one standing consent per purpose.
CREATE UNIQUE INDEX consents_standing ON consents (volunteer_id, purpose) WHERE withdrawn_at IS NULL;

CREATE TABLE pool_memberships (
    id            uuid PRIMARY KEY,
    pool_id       uuid NOT NULL REFERENCES pools (id),
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    -- 'applied': not yet approved; 'active': may be matched; 'paused': on a break; 'left'.
    status        text NOT NULL CHECK (status IN ('applied', 'active', 'paused', 'left')),
    joined_at     timestamptz,
    left_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pool_id, volunteer_id)
);
CREATE INDEX pool_memberships_volunteer ON pool_memberships (volunteer_id);

CREATE TABLE requests (
    id                 uuid PRIMARY KEY,
    pool_id            uuid NOT NULL REFERENCES pools (id),
    seats              integer NOT NULL CHECK (seats >= 1),
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    place              text NOT NULL DEFAULT '',
    -- The city area of the place, matched against volunteers.areas (NULL: anywhere).
    area               text,
    -- A language the volunteer must speak (NULL: none beyond the pool's).
    language           text,
    needs              text NOT NULL DEFAULT '',
    -- The unit the request is for (conflict of interest: clients of it are not matched).
    unit               text,
    -- Offers out at a time per free place: 1 asks one person at a time; more fills sooner (first come).
    offers_per_place   integer NOT NULL DEFAULT 1 CHECK (offers_per_place BETWEEN 1 AND 20),
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'filled', 'cancelled')),
    cancel_reason      text,
    -- The staff who asked (told when it is filled), or the service that asked over the bus.
    requested_by       text NOT NULL,
    requested_by_name  text,
    source             text NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'events')),
    -- The asking service's own id (an event's id), so a redelivered ask makes no second request.
    source_ref         text,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE UNIQUE INDEX requests_source ON requests (source, source_ref) WHERE source_ref IS NOT NULL;
CREATE INDEX requests_open ON requests (starts_at) WHERE status = 'open';
CREATE INDEX requests_pool ON requests (pool_id, starts_at);

CREATE TABLE offers (
    id            uuid PRIMARY KEY,
    request_id    uuid NOT NULL REFERENCES requests (id),
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    -- Where matching placed them, and why (shown to staff).
    rank          integer NOT NULL,
    reason        text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'sent'
                  CHECK (status IN ('sent', 'accepted', 'declined', 'expired', 'withdrawn')),
    expires_at    timestamptz NOT NULL,
    sent_at       timestamptz NOT NULL DEFAULT now(),
    answered_at   timestamptz,
    -- A person is offered a request once: a decline stays a decline.
    UNIQUE (request_id, volunteer_id)
);
CREATE INDEX offers_due ON offers (expires_at) WHERE status = 'sent';
CREATE INDEX offers_volunteer ON offers (volunteer_id);

CREATE TABLE assignments (
    id            uuid PRIMARY KEY,
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    request_id    uuid NOT NULL REFERENCES requests (id),
    pool_id       uuid NOT NULL REFERENCES pools (id),
    offer_id      uuid REFERENCES offers (id),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    -- 'confirmed': they are coming; 'cancelled': by them or staff; 'completed': it took place.
    status        text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled', 'completed')),
    cancelled_at  timestamptz,
    cancelled_by  text,
    cancel_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    -- The last guard against double booking, whatever the order of concurrent answers.
    CONSTRAINT assignments_no_overlap EXCLUDE USING gist (
        volunteer_id WITH =, tstzrange(starts_at, ends_at) WITH &&
    ) WHERE (status <> 'cancelled')
);
CREATE INDEX assignments_request ON assignments (request_id) WHERE status <> 'cancelled';
CREATE INDEX assignments_volunteer ON assignments (volunteer_id, starts_at);
CREATE INDEX assignments_pool_time ON assignments (pool_id, starts_at);

SELECT backbone_track_data_version(ARRAY[
    'pools', 'pool_requirements', 'volunteers', 'availability_weekly', 'availability_exceptions',
    'qualifications', 'consents', 'pool_memberships', 'requests', 'offers', 'assignments'
]::regclass[]);
