-- Volunteers' export and erasure requests the events service has answered: a redelivered request
-- (or one replayed by an operator) answers once. Ids only: nothing here names the person.
CREATE TABLE rights_answers (
    request_id  uuid        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('export', 'erasure')),
    status      text        NOT NULL CHECK (status IN ('done', 'nothing_held', 'failed')),
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, kind)
);

-- A rights request finds a person's registrations across every event by address or phone number.
CREATE INDEX registrations_email_key ON registrations (lower(email)) WHERE anonymised_at IS NULL;
CREATE INDEX registrations_phone_key ON registrations (phone_key) WHERE anonymised_at IS NULL;

SELECT backbone_track_data_version(ARRAY['rights_answers']::regclass[]);
