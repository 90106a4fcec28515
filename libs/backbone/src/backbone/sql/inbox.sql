-- The inbox of every consumer (consumer.py): which events it handled, which failed and how often,
-- and per aggregate how far it has applied them in order.

-- name: inbox_has_event
SELECT true FROM inbox WHERE consumer = :consumer AND event_id = :event_id;

-- name: place_inbox_event
-- The consumer's row for the aggregate, made if missing and locked to commit (a no-op update takes
-- the row lock, as FOR UPDATE would), in one round trip. A replica whose handler holds the row waits
-- at most :timeout for it (LockNotAvailable: the event waits its turn again); once the row is
-- taken, RETURNING gives the lock timeout back as it was, so the handler after it waits as usual.
-- (The subquery with OFFSET 0 is kept apart, so the old value is read before it is set.)
WITH lock_wait AS MATERIALIZED (
    SELECT o.ordinary, set_config('lock_timeout', :timeout, true) AS ours
    FROM (SELECT current_setting('lock_timeout') AS ordinary OFFSET 0) AS o
)
INSERT INTO inbox_aggregate AS g (consumer, aggregate, applied_seq)
SELECT :consumer, :aggregate, 0 FROM lock_wait
ON CONFLICT (consumer, aggregate) DO UPDATE SET applied_seq = g.applied_seq
RETURNING g.applied_seq, g.waiting_since, g.lowest_waiting_seq,
          now() - g.waiting_since > make_interval(secs => :gap_seconds) AS waited_enough,
          now() - g.waiting_since > make_interval(secs => 2 * :gap_seconds) AS waited_twice,
          (SELECT set_config('lock_timeout', lock_wait.ordinary, true) FROM lock_wait) AS lock_timeout;

-- name: inbox_event_set_aside
SELECT true FROM inbox_attempts
WHERE consumer = :consumer AND event_id = :event_id AND dead_lettered_at IS NOT NULL;

-- name: inbox_seq_retrying
SELECT true FROM inbox_attempts
WHERE consumer = :consumer AND aggregate = :aggregate AND seq = :seq AND dead_lettered_at IS NULL;

-- name: mark_inbox_waiting
UPDATE inbox_aggregate
SET waiting_since = CASE WHEN :restart THEN now() ELSE coalesce(waiting_since, now()) END,
    lowest_waiting_seq = least(lowest_waiting_seq, :seq)
WHERE consumer = :consumer AND aggregate = :aggregate;

-- name: mark_inbox_applied
UPDATE inbox_aggregate
SET applied_seq = greatest(applied_seq, :seq), waiting_since = NULL, lowest_waiting_seq = NULL
WHERE consumer = :consumer AND aggregate = :aggregate;

-- name: apply_inbox_event
-- In its turn, before the handler, in the handler's transaction (a failure rolls it all back): the
-- inbox row (no row back: handled before, a redelivery), the aggregate applied up to it when :mark,
-- its failures forgotten. One round trip for what took three.
WITH fresh AS (
    INSERT INTO inbox (consumer, event_id, subject) VALUES (:consumer, :event_id, :subject)
    ON CONFLICT DO NOTHING RETURNING true
), applied AS (
    UPDATE inbox_aggregate
    SET applied_seq = greatest(applied_seq, :seq), waiting_since = NULL, lowest_waiting_seq = NULL
    WHERE :mark::boolean AND consumer = :consumer AND aggregate = :aggregate
), forgotten AS (
    DELETE FROM inbox_attempts WHERE consumer = :consumer AND event_id = :event_id
)
SELECT EXISTS (SELECT FROM fresh);

-- name: count_inbox_failure
INSERT INTO inbox_attempts (consumer, event_id, aggregate, seq, failures, last_error)
VALUES (:consumer, :event_id, :aggregate, :seq, 1, :error)
ON CONFLICT (consumer, event_id) DO UPDATE
SET failures = inbox_attempts.failures + 1, last_error = :error, failed_at = now()
RETURNING failures;

-- name: set_aside_inbox_event
-- Failures start again from zero for a replay, which comes after a fix.
INSERT INTO inbox_attempts (consumer, event_id, aggregate, seq, failures, last_error, dead_lettered_at)
VALUES (:consumer, :event_id, :aggregate, :seq, 0, :reason, now())
ON CONFLICT (consumer, event_id) DO UPDATE
SET failures = 0, last_error = :reason, dead_lettered_at = now();

-- name: skip_inbox_aggregate_to
INSERT INTO inbox_aggregate (consumer, aggregate, applied_seq) VALUES (:consumer, :aggregate, :seq)
ON CONFLICT (consumer, aggregate) DO UPDATE
SET applied_seq = greatest(inbox_aggregate.applied_seq, :seq),
    waiting_since = NULL, lowest_waiting_seq = NULL;

-- name: prune_inbox
-- The stream keeps a message at most its max_age: an older inbox row can never meet its event again.
DELETE FROM inbox
WHERE consumer = :consumer AND handled_at < now() - make_interval(secs => :older_than_seconds);

-- name: prune_inbox_attempts
-- Failures of events since applied (handled, or passed in their aggregate's order). Set-aside marks
-- stay: a replay of the dead letter needs them.
DELETE FROM inbox_attempts a
WHERE a.consumer = :consumer AND a.dead_lettered_at IS NULL
  AND (EXISTS (SELECT 1 FROM inbox i WHERE i.consumer = a.consumer AND i.event_id = a.event_id)
       OR EXISTS (SELECT 1 FROM inbox_aggregate g
                  WHERE g.consumer = a.consumer AND g.aggregate = a.aggregate AND a.seq <= g.applied_seq));
