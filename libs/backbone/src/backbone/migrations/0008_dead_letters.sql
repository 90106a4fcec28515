-- Each service keeps its own dead letters, the message as it came, so that its administrators can
-- see them and have the service run its own handler on one again (a replay) without any new NATS
-- rights: the copy in DEADLETTER stays for the operator's command line.
CREATE TABLE dead_letters (
    id               bigserial PRIMARY KEY,
    consumer         text        NOT NULL,
    stream           text        NOT NULL,
    stream_seq       bigint      NOT NULL,
    subject          text        NOT NULL,
    headers          jsonb       NOT NULL DEFAULT '{}',
    data             bytea       NOT NULL,
    reason           text        NOT NULL,
    delivery_count   int         NOT NULL DEFAULT 0,
    times            int         NOT NULL DEFAULT 1,
    dead_lettered_at timestamptz NOT NULL DEFAULT now(),
    -- open: waiting for someone; replaying: a replay runs now; replayed / discarded: dealt with.
    status           text        NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'replaying', 'replayed', 'discarded')),
    replay_started_at timestamptz,
    resolved_at      timestamptz,
    resolved_by      text,
    outcome          text,
    UNIQUE (consumer, stream, stream_seq)
);
CREATE INDEX dead_letters_open ON dead_letters (dead_lettered_at) WHERE status IN ('open', 'replaying');
