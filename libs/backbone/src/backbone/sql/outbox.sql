-- The outbox: events written in the transaction of the change they describe (outbox.py), and the
-- relay that publishes them in order (relay.py).

-- name: insert_numbered_outbox_event
-- One event (add_event), in one round trip. First the aggregate's counter row is taken and held to
-- commit: a second transaction adding an event for the same aggregate waits there, so numbers
-- follow commit order. Then the row is written with that number as the envelope's aggregateseq.
-- :envelope is the envelope's JSON text, as add_event already wrote it to check its size.
WITH numbered AS (
    INSERT INTO aggregate_sequence (aggregate, last_seq) VALUES (:aggregate, 1)
    ON CONFLICT (aggregate) DO UPDATE SET last_seq = aggregate_sequence.last_seq + 1
    RETURNING last_seq
)
INSERT INTO outbox (event_id, subject, aggregate, envelope)
SELECT :event_id, :subject, :aggregate,
       jsonb_set(:envelope::text::jsonb, '{aggregateseq}', to_jsonb(numbered.last_seq))
FROM numbered
RETURNING (envelope->>'aggregateseq')::bigint;

-- name: next_aggregate_seqs
-- The counter rows of many aggregates (:aggregates, each once) in one statement, taken in
-- aggregate order (sorted) as a transaction about several aggregates must.
INSERT INTO aggregate_sequence (aggregate, last_seq)
SELECT a, 1 FROM unnest(:aggregates::text[]) AS a ORDER BY a
ON CONFLICT (aggregate) DO UPDATE SET last_seq = aggregate_sequence.last_seq + 1
RETURNING aggregate, last_seq;

-- name: insert_outbox_events
-- Many events in one statement, in the order given (the outbox id is the
-- publishing order).
INSERT INTO outbox (event_id, subject, aggregate, envelope)
SELECT e.event_id, e.subject, e.aggregate, e.envelope::jsonb
FROM unnest(:event_ids::uuid[], :subjects::text[], :aggregates::text[], :envelopes::text[])
     WITH ORDINALITY AS e (event_id, subject, aggregate, envelope, n)
ORDER BY e.n;

-- name: outbox_backlog
-- What is still to be published. Set-aside rows are never published, so they are no backlog: they
-- are counted apart (outbox_set_aside_count) and wait for an operator.
SELECT count(*) FROM outbox WHERE published_at IS NULL AND set_aside_at IS NULL;

-- name: oldest_unsent_outbox_age
-- Seconds since the oldest row still to be published was written (NULL: none waits), for readiness:
-- the partial index outbox_unpublished finds it at once however long the outbox is.
SELECT extract(epoch FROM now() - created_at)::float8 FROM outbox
WHERE published_at IS NULL AND set_aside_at IS NULL ORDER BY id LIMIT 1;

-- name: try_relay_lock
SELECT pg_try_advisory_lock(:key);

-- name: pending_outbox_rows
-- The envelope as the text that goes on the bus, and the one field the relay reads from it (for a
-- header): no JSON decoded and encoded again in Python per row.
SELECT id, event_id, subject, aggregate, envelope::text AS envelope,
       envelope->>'correlationid' AS correlationid
FROM outbox
WHERE published_at IS NULL AND set_aside_at IS NULL ORDER BY id LIMIT :limit;

-- name: mark_outbox_published
UPDATE outbox SET published_at = now() WHERE id = ANY(:ids::bigint[]);

-- name: set_aside_outbox_rows
UPDATE outbox SET set_aside_at = now(), set_aside_reason = r.reason
FROM unnest(:ids::bigint[], :reasons::text[]) AS r(id, reason) WHERE outbox.id = r.id;

-- name: outbox_set_aside_count
SELECT count(*) FROM outbox WHERE set_aside_at IS NOT NULL;

-- name: delete_published_outbox_rows
-- One batch at a time (the relay repeats it until a batch comes back short), so no statement runs
-- for long on a large outbox; the partial index outbox_published finds the rows.
DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox WHERE published_at < now() - :older_than::interval LIMIT :batch
);

-- name: list_set_aside_outbox_rows
SELECT id, event_id, subject, aggregate, octet_length(envelope::text) AS size, set_aside_at, set_aside_reason
FROM outbox WHERE set_aside_at IS NOT NULL ORDER BY id LIMIT :limit;
