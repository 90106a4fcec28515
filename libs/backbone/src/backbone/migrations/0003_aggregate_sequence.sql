-- Per-aggregate order. The publisher numbers each aggregate's events (1, 2, 3, ...) from a counter
-- row that every transaction adding an event for that aggregate updates, so two such transactions
-- take turns and their numbers follow their commit order.
CREATE TABLE aggregate_sequence (
    aggregate     text   PRIMARY KEY,
    last_seq      bigint NOT NULL
);

-- The consumer's side: per consumer and aggregate, the last sequence number applied (or set aside
-- as a dead letter), written in the handler's transaction. `waiting_since` is when the consumer
-- first found a gap before the next number, and `lowest_waiting_seq` the lowest number seen waiting
-- behind it; after a while the consumer goes on from that one (see consumer.py).
CREATE TABLE inbox_aggregate (
    consumer      text        NOT NULL,
    aggregate     text        NOT NULL,
    applied_seq   bigint      NOT NULL,
    waiting_since timestamptz,
    lowest_waiting_seq bigint,
    PRIMARY KEY (consumer, aggregate)
);

-- Handler failures per event, counted here rather than by JetStream's delivery count, which also
-- counts redeliveries while the database was away, waits for an earlier event, and so on. A row
-- with `dead_lettered_at` marks an event set aside: the one event at or below `applied_seq` that
-- is still handled when it comes again (an operator's replay).
CREATE TABLE inbox_attempts (
    consumer      text        NOT NULL,
    event_id      uuid        NOT NULL,
    aggregate     text,
    seq           bigint,
    failures      int         NOT NULL,
    last_error    text        NOT NULL,
    failed_at     timestamptz NOT NULL DEFAULT now(),
    dead_lettered_at timestamptz,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_attempts_by_aggregate ON inbox_attempts (consumer, aggregate, seq);
