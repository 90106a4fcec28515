-- name: record_dead_letter
-- The same message dead-lettered again (a redelivery before the ack, or a replay that failed the
-- same way) is one row, open again, with the newest reason. Another message at the same stream
-- sequence (the stream was made anew) is a new row (migration 0009).
INSERT INTO dead_letters (consumer, stream, stream_seq, subject, headers, data, reason, delivery_count)
VALUES (:consumer, :stream, :stream_seq, :subject, :headers, :data, :reason, :delivery_count)
ON CONFLICT (consumer, stream, stream_seq, sha256(data)) DO UPDATE
SET reason = EXCLUDED.reason, delivery_count = EXCLUDED.delivery_count,
    times = dead_letters.times + 1, dead_lettered_at = now(), status = 'open',
    replay_started_at = NULL, resolved_at = NULL, resolved_by = NULL;

-- name: list_dead_letters
-- Newest first, a page at a time (keyset: those before :before_at, :before_id; NULL for the first),
-- each payload only as far as the page shows it (:shown_bytes) and its whole size: a payload may be
-- a MiB, and a page of them would be more than the gateway takes from a service.
-- A replay claimed longer ago than :stale_seconds belonged to a process that stopped mid-way (a
-- kill: no cancellation ran): it reads as open, for a replay or a discard.
SELECT id, consumer, stream, stream_seq, subject, substring(data FOR :shown_bytes) AS data,
       octet_length(data) AS data_bytes, reason, delivery_count, times, dead_lettered_at,
       CASE WHEN status = 'replaying' AND replay_started_at < now() - make_interval(secs => :stale_seconds)
            THEN 'open' ELSE status END AS status,
       resolved_at, resolved_by, outcome
FROM dead_letters
WHERE (:include_resolved OR status IN ('open', 'replaying'))
  AND (:before_at::timestamptz IS NULL
       OR (dead_lettered_at, id) < (:before_at::timestamptz, :before_id::bigint))
ORDER BY dead_lettered_at DESC, id DESC
LIMIT :limit;

-- name: get_dead_letter
-- A stale claim reads as open, as in list_dead_letters.
SELECT id, consumer, stream, stream_seq, subject, headers, data, reason, delivery_count, times,
       dead_lettered_at,
       CASE WHEN status = 'replaying' AND replay_started_at < now() - make_interval(secs => :stale_seconds)
            THEN 'open' ELSE status END AS status,
       resolved_at, resolved_by, outcome
FROM dead_letters WHERE id = :id;

-- name: claim_dead_letter_for_replay
-- One replay at a time: a second click finds it claimed or done. A claim older than
-- :stale_seconds belonged to a process that stopped mid-replay and may be taken again.
UPDATE dead_letters SET status = 'replaying', replay_started_at = now()
WHERE id = :id
  AND (status = 'open'
       OR (status = 'replaying' AND replay_started_at < now() - make_interval(secs => :stale_seconds)))
RETURNING id, consumer, stream, stream_seq, subject, headers, data, delivery_count;

-- name: finish_replay
-- Only while still claimed: a replay that dead-lettered the message again has opened it anew.
UPDATE dead_letters
SET status = :status, outcome = :outcome, replay_started_at = NULL,
    resolved_at = CASE WHEN :status = 'replayed' THEN now() END,
    resolved_by = CASE WHEN :status = 'replayed' THEN :who END
WHERE id = :id AND status = 'replaying';

-- name: note_replay_outcome
UPDATE dead_letters SET outcome = :outcome WHERE id = :id;

-- name: discard_dead_letter
-- Open, or claimed by a replay in a process that stopped mid-way (older than :stale_seconds).
UPDATE dead_letters
SET status = 'discarded', resolved_at = now(), resolved_by = :who, outcome = :outcome,
    replay_started_at = NULL
WHERE id = :id
  AND (status = 'open'
       OR (status = 'replaying' AND replay_started_at < now() - make_interval(secs => :stale_seconds)))
RETURNING id;

-- name: last_handler_error
SELECT last_error FROM inbox_attempts WHERE consumer = :consumer AND event_id = :event_id;

-- name: replayed_letters_of_subject
-- The other dead letters of this consumer and subject that a replay handled: a copy of the same
-- event among them was handled, whether or not the inbox still remembers it (it is pruned).
SELECT id, data FROM dead_letters
WHERE consumer = :consumer AND subject = :subject AND status = 'replayed' AND id <> :id;

-- name: inbox_attempts_kept
-- Whether the consumer still counts failures of the event or has it set aside: it does until it
-- handles the event, which removes the row in the same transaction as its inbox row.
SELECT true FROM inbox_attempts WHERE consumer = :consumer AND event_id = :event_id;

-- name: prune_dead_letters
-- Dealt with (replayed or discarded) longer ago than :older_than_seconds, a batch at a time. Open
-- ones stay until an administrator deals with them: they are messages not handled yet.
DELETE FROM dead_letters
WHERE id IN (SELECT id FROM dead_letters
             WHERE status IN ('replayed', 'discarded')
               AND resolved_at < now() - make_interval(secs => :older_than_seconds)
             LIMIT :batch);
