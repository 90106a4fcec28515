-- Volunteers' export and erasure requests notify has answered: a redelivered request (or one
-- replayed by an operator) answers once. Ids only: nothing here names the person.
CREATE TABLE rights_answers (
    request_id   uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('export', 'erasure')),
    status       text        NOT NULL CHECK (status IN ('done', 'nothing_held', 'failed')),
    answered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, kind)
);
