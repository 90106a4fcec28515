-- Requests to export or erase everything held about a volunteer, and each service's answer.

CREATE TABLE rights_requests (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('export', 'erasure')),
    -- The volunteer's id; after an erasure it is a pseudonym (nothing in the row names them).
    volunteer_id   uuid NOT NULL REFERENCES volunteers (id),
    -- The services that must answer (VOLUNTEERS_RIGHTS_SERVICES when it was made).
    services       text[] NOT NULL,
    status         text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'complete', 'failed')),
    requested_by   text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz
);
CREATE INDEX rights_requests_volunteer ON rights_requests (volunteer_id);
CREATE INDEX rights_requests_waiting ON rights_requests (created_at) WHERE status = 'waiting';

-- One answer per service and request; an export answer carries that service's part as JSON.
CREATE TABLE rights_answers (
    request_id    uuid NOT NULL REFERENCES rights_requests (id),
    service       text NOT NULL,
    status        text NOT NULL CHECK (status IN ('done', 'nothing_held', 'failed')),
    detail        text NOT NULL DEFAULT '',
    data          jsonb,
    answered_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, service)
);

SELECT backbone_track_data_version(ARRAY['rights_requests', 'rights_answers']::regclass[]);
